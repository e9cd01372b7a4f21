//! Mixpanel raw event export: JSON lines `{"event": ..., "properties":
//! {"time": <epoch seconds>, "distinct_id": ..., "$insert_id": ..., ...}}`.
//!
//! Identity (Mixpanel ID merge): an event carrying both `$user_id` and
//! `$device_id` merges the device into the user; an `$identify` event merges
//! `$anon_id` into `$identified_id`. Without `$user_id` the event's person
//! is its `distinct_id`. Mixpanel exports hold no user profiles or group
//! objects: the mapping reads `properties.<key>` only.

use serde_json::Value;

use super::{text_at, Kind, Record, RecordError};

pub(super) fn record(value: &Value) -> Result<Record, RecordError> {
    let name = super::required_text(value, "event")?;
    let field = |key: &'static str, name: &'static str| -> Result<String, RecordError> {
        text_at(value, &["properties", key]).ok_or(RecordError::Missing(name))
    };
    let event_id = field("$insert_id", "properties.$insert_id")?;
    let time = field("time", "properties.time")?;
    let distinct_id = field("distinct_id", "properties.distinct_id")?;
    let (kind, user, anonymous) = if name == "$identify" {
        (
            Kind::Identify,
            text_at(value, &["properties", "$identified_id"]).or(Some(distinct_id)),
            text_at(value, &["properties", "$anon_id"]),
        )
    } else {
        let user = text_at(value, &["properties", "$user_id"]);
        let device = text_at(value, &["properties", "$device_id"]);
        match (user, device) {
            (Some(user), device) => (Kind::Track, Some(user), device),
            (None, Some(device)) if device == distinct_id => (Kind::Track, None, Some(device)),
            (None, _) => (Kind::Track, None, Some(distinct_id)),
        }
    };
    Ok(Record {
        event_id,
        name,
        kind,
        user,
        anonymous,
        time,
        properties: value.get("properties").cloned(),
        traits: None,
        groups: None,
    })
}
