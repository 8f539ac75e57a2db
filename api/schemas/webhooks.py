"""Webhooks: an endpoint as created and listed, and its delivery attempts."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from store.webhooks import EVENTS, Outcome


def _known_event(event: str) -> None:
    if event not in EVENTS:
        raise ValidationError(f"unknown event {event!r}; the events are {', '.join(EVENTS)}")


class CreateWebhookSchema(Schema):
    """JSON body of POST /v1/webhooks."""

    url = fields.String(
        required=True,
        metadata={"description": "http(s) URL that receives a POST per event"},
    )
    events = fields.List(
        fields.String(validate=_known_event),
        load_default=lambda: list(EVENTS),
        validate=validate.Length(min=1, error="events: name at least one event"),
        metadata={"description": f"of {', '.join(EVENTS)} (default: all)"},
    )


class WebhookSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    created_at = fields.String(required=True)
    disabled = fields.String(
        metadata={"description": "why no message goes to it any more (absent: it is active)"}
    )


class CreatedWebhookSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "whsec_…: verifies webhook-signature; shown only now"},
    )


class WebhookResponseSchema(Schema):
    webhook = fields.Nested(WebhookSchema, required=True)


class CreatedWebhookResponseSchema(Schema):
    webhook = fields.Nested(CreatedWebhookSchema, required=True)


class WebhookListSchema(Schema):
    webhooks = fields.List(fields.Nested(WebhookSchema), required=True)


class DeliverySchema(Schema):
    message_id = fields.String(required=True, metadata={"description": "the webhook-id header"})
    event = fields.String(required=True)
    dataset_id = fields.String(required=True)
    attempt = fields.Integer(required=True, metadata={"description": "1 for the first"})
    attempted_at = fields.String(required=True)
    outcome = fields.String(
        required=True, metadata={"enum": [outcome.value for outcome in Outcome]}
    )
    duration_ms = fields.Integer(required=True)
    status_code = fields.Integer(allow_none=True, metadata={"description": "null: no answer"})
    error = fields.String(metadata={"description": "why, when there was no answer"})
    response = fields.String(metadata={"description": "the start of the answer's body"})
    next_attempt_at = fields.String(allow_none=True)


class DeliveriesResponseSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)


class TestSentSchema(Schema):
    message_id = fields.String(required=True, metadata={"description": "its webhook-id"})
