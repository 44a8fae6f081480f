"""Moderation: one queue, decisions with notices and appeals, locks, suspensions, screening."""
