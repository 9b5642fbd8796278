"""The classic version of this assignment's API, as a new user would write it (the benchmark's baseline).

A Flask development server; every route merges the request headers into the event and hands it to
kafka-python's send() without waiting for the result, then answers 200 at once. Kept deliberately
faithful to that design: no validation, no delivery check, no flush on shutdown.
"""

import json
import os

from flask import Flask, request
from kafka import KafkaProducer

app = Flask(__name__)
producer = KafkaProducer(bootstrap_servers=os.environ.get("BASELINE_BOOTSTRAP", "127.0.0.1:9092"))
TOPIC = os.environ.get("BASELINE_TOPIC", "baseline.events")


def log_to_kafka(topic, event):
    event.update(request.headers)
    producer.send(topic, json.dumps(event).encode())


def event_of(event_type):
    event = {"event_type": event_type}
    event.update(request.get_json(silent=True, force=True) or {})
    return event


@app.route("/")
def default_response():
    log_to_kafka(TOPIC, {"event_type": "default"})
    return "This is the default response!\n"


@app.route("/purchase_a_weapon", methods=["GET", "POST"])
def purchase_a_weapon():
    log_to_kafka(TOPIC, event_of("purchase_weapon"))
    return "Weapon Purchased!\n"


@app.route("/join_a_guild", methods=["GET", "POST"])
def join_a_guild():
    log_to_kafka(TOPIC, event_of("join_guild"))
    return "Joined a Guild!\n"


@app.route("/enter_a_battle", methods=["GET", "POST"])
def enter_a_battle():
    log_to_kafka(TOPIC, event_of("enter_battle"))
    return "Entered a Battle!\n"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("BASELINE_PORT", "5100")))
