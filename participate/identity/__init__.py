"""Identity levels: mobile verification, the level each action needs, endorsement integrity."""
