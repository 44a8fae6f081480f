"""The framework's floor for bench/votes.py and bench/endorse.py: one Flask route returning
JSON, served by the same gunicorn settings as the app in the same run."""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/bare", methods=["GET", "POST"])
def bare() -> object:
    return jsonify({"ok": True})
