//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, built by hand here (the
//! tests check that every router path is in it).

use serde_json::{json, Value};

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn errors(codes: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|(status, description)| ((*status).to_owned(), error_response(description)))
        .collect()
}

fn send_responses() -> Value {
    let mut responses = errors(&[
        (
            "400",
            "invalid_request, invalid_jid, invalid_message_id or missing_participant",
        ),
        ("401", "unauthorized"),
        ("403", "forbidden: the credentials lack `send`"),
        (
            "404",
            "not_found: no such session in the caller's organization",
        ),
        ("429", "rate_limited"),
        (
            "502",
            "send_failed: the server refused or did not acknowledge it (refused: details {serverCode, waMessageId}; a refused text then reads `failed`)",
        ),
        ("503", "disconnected: the session is not connected"),
    ]);
    responses.insert(
        "200".into(),
        json!({ "description": "sent (or replayed, coalesced, noop)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SendResult" } } } }),
    );
    Value::Object(responses)
}

fn session_param() -> Value {
    json!({ "name": "session", "in": "path", "required": true, "schema": { "type": "string" } })
}

fn mid_param() -> Value {
    json!({ "name": "mid", "in": "path", "required": true, "description": "a WhatsApp message id", "schema": { "type": "string" } })
}

fn idempotency_param() -> Value {
    json!({ "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "a retry with the same key (per session) returns the first result with `replayed: true` and sends nothing",
            "schema": { "type": "string", "maxLength": 256 } })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn read_responses(what: &str) -> Value {
    let mut responses = errors(&[
        ("400", "invalid_request or invalid_message_id"),
        ("401", "unauthorized"),
        ("403", "forbidden"),
        ("404", "not_found"),
        ("429", "rate_limited"),
    ]);
    responses.insert("200".into(), json!({ "description": what }));
    Value::Object(responses)
}

/// The document.
#[must_use]
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wa-gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "An HTTP gateway over the wa-engine WhatsApp multi-device session engine. Authenticate with `Authorization: Bearer <token>`: an API key (`wa keys create`) or a JWT verified against the configured JWKS (claims `org`, `role`, `exp`)."
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/sessions": {
                "post": {
                    "summary": "Create a session and start pairing it (needs `sessions`)",
                    "responses": {
                        "201": { "description": "`{id, status, qr, qrUrl, jid, lid, createdAt}`: `qr` is the text of the first pairing QR code" },
                        "401": error_response("unauthorized"), "403": error_response("forbidden"),
                        "429": error_response("rate_limited"), "502": error_response("send_failed: no QR code from the server")
                    }
                },
                "get": { "summary": "The caller's sessions (needs `read`)", "responses": read_responses("`{sessions: [Session]}`") }
            },
            "/api/v1/sessions/{session}": {
                "parameters": [session_param()],
                "get": { "summary": "A session's status: pairing, connecting, connected, disconnected or logged_out (needs `read`)", "responses": read_responses("Session") },
                "delete": { "summary": "Log out: ask the server to unlink the device, stop the session and forget its credentials (needs `sessions`). `details.serverNotified` is false (with `details.reason`) when the server could not be told (not connected): the device then stays linked until removed from the phone", "responses": read_responses("the session, now logged_out, with details {serverNotified, reason?}") }
            },
            "/api/v1/sessions/{session}/qr": {
                "parameters": [session_param(), { "name": "format", "in": "query", "required": false, "schema": { "enum": ["png", "svg"] } }],
                "get": { "summary": "The current pairing QR code as PNG (default) or SVG (needs `sessions`)", "responses": read_responses("image/png or image/svg+xml") }
            },
            "/api/v1/sessions/{session}/messages": {
                "parameters": [session_param()],
                "post": {
                    "summary": "Send a text message (needs `send`)",
                    "parameters": [idempotency_param()],
                    "requestBody": body("TextRequest"),
                    "responses": send_responses()
                }
            },
            "/api/v1/sessions/{session}/messages/{mid}": {
                "parameters": [session_param(), mid_param()],
                "get": { "summary": "The message as the gateway knows it, with status (sent, delivered, read, failed, received, deleted) and current reactions (needs `read`)", "responses": read_responses("Message") },
                "delete": {
                    "summary": "Revoke (delete for everyone); `sender` set: another member's group message, as a group admin (needs `send`)",
                    "parameters": [idempotency_param()],
                    "requestBody": body("TargetRequest"),
                    "responses": send_responses()
                }
            },
            "/api/v1/sessions/{session}/messages/{mid}/reaction": {
                "parameters": [session_param(), mid_param()],
                "post": {
                    "summary": "React with one emoji; `\"\"` or `\"remove\"` removes. Reactions to the same target within 200 ms are coalesced (last one wins; the superseded answer mode `coalesced`) (needs `send`)",
                    "parameters": [idempotency_param()],
                    "requestBody": body("ReactionRequest"),
                    "responses": send_responses()
                },
                "delete": {
                    "summary": "Remove our reaction; idempotent: without one it is a 200 with mode `noop` (needs `send`)",
                    "parameters": [idempotency_param()],
                    "requestBody": body("TargetRequest"),
                    "responses": send_responses()
                }
            },
            "/api/v1/webhooks": {
                "post": {
                    "summary": "Subscribe a URL to the organization's events (needs `webhooks`); the answer's `secret` (whsec_...) signs every delivery and is shown only here",
                    "requestBody": body("WebhookRequest"),
                    "responses": {
                        "201": { "description": "`{id, url, events, createdAt, secret}`" },
                        "400": error_response("invalid_request: a bad `url` or unknown `events`"),
                        "401": error_response("unauthorized"), "403": error_response("forbidden: the credentials lack `webhooks`"),
                        "429": error_response("rate_limited")
                    }
                },
                "get": { "summary": "The organization's subscriptions, without secrets (needs `webhooks`)", "responses": read_responses("`{webhooks: [{id, url, events, createdAt}]}`") }
            },
            "/api/v1/webhooks/{id}": {
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "delete": { "summary": "Delete a subscription and its queued deliveries (needs `webhooks`)", "responses": read_responses("`{id, deleted: true}`") }
            },
            "/api/v1/webhooks/{id}/deliveries": {
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } }],
                "get": { "summary": "A subscription's deliveries, newest first: state (pending, delivered, dead), attempts, last status and error (needs `webhooks`)", "responses": read_responses("`{deliveries: [{id, eventId, event, state, attempts, createdAt, nextAttemptAt, finishedAt, lastStatus, lastError}]}`") }
            },
            "/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "security": [], "responses": { "200": { "description": "text exposition format" } } } }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "properties": {
                        "code": { "enum": ["not_found", "invalid_request", "missing_participant", "invalid_message_id", "invalid_jid", "unauthorized", "forbidden", "rate_limited", "disconnected", "send_failed", "internal"] },
                        "message": { "type": "string" },
                        "details": {}
                    }, "required": ["code", "message", "details"] } },
                    "required": ["error"]
                },
                "SendResult": {
                    "type": "object",
                    "properties": {
                        "mode": { "enum": ["sync", "coalesced", "noop"] },
                        "outboxId": { "type": ["string", "null"], "description": "the engine outbox key: the Idempotency-Key, or the message id" },
                        "replayed": { "type": "boolean" },
                        "status": { "enum": ["sent", "noop"] },
                        "timestamp": { "type": "integer", "description": "server time, unix seconds" },
                        "waMessageId": { "type": ["string", "null"] }
                    },
                    "required": ["mode", "outboxId", "replayed", "status", "timestamp", "waMessageId"]
                },
                "TextRequest": {
                    "type": "object",
                    "properties": { "chat": { "type": "string" }, "text": { "type": "string" }, "origin": { "type": "string", "maxLength": 128 } },
                    "required": ["chat", "text"]
                },
                "ReactionRequest": {
                    "type": "object",
                    "properties": { "chat": { "type": "string" }, "sender": { "type": "string", "description": "empty for our own message, else its author's JID" }, "emoji": { "type": "string" }, "origin": { "type": "string" } },
                    "required": ["chat", "emoji"]
                },
                "WebhookRequest": {
                    "type": "object",
                    "properties": {
                        "url": { "type": "string", "description": "http:// or https://" },
                        "events": { "type": "array", "minItems": 1, "items": { "enum": ["message.reaction", "message.revoked", "session.status"] } }
                    },
                    "required": ["url", "events"]
                },
                "TargetRequest": {
                    "type": "object",
                    "properties": { "chat": { "type": "string" }, "sender": { "type": "string" }, "origin": { "type": "string" } },
                    "required": ["chat"]
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn every_router_path_is_described() {
        let doc = document();
        for path in crate::routes::PATHS {
            assert!(
                doc["paths"][path].is_object(),
                "{path} missing from openapi.json"
            );
        }
        assert_eq!(
            doc["paths"].as_object().map(serde_json::Map::len),
            Some(crate::routes::PATHS.len())
        );
    }
}
