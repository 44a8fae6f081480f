"""Major government projects under public oversight (重大計畫開放審議, 來監督)."""
