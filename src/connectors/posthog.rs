//! PostHog event exports: JSON lines or CSV from the events export (`uuid`,
//! `event`, `distinct_id`, `person_id`, `timestamp`, `properties`) and the
//! batch export's Parquet files (the same columns, `properties` as JSON text).
//!
//! Identity: `$identify` events merge `properties.$anon_distinct_id` into the
//! event's `distinct_id` (the identified id); every other event names its
//! person by `distinct_id`. The workspace is a group: `properties.$groups`
//! (`groups.<group type>` in the mapping); user properties are `$set`
//! (`traits.<key>`).

use serde_json::Value;

use super::{object_at, required_text, text_at, Kind, Record, RecordError};

pub(super) fn record(value: &Value) -> Result<Record, RecordError> {
    let event = required_text(value, "event")?;
    let distinct_id = required_text(value, "distinct_id")?;
    let properties = object_at(value, &["properties"]);
    let kind = if event == "$identify" {
        Kind::Identify
    } else {
        Kind::Track
    };
    let (user, anonymous) = match kind {
        Kind::Identify => (
            Some(distinct_id),
            text_at(value, &["properties", "$anon_distinct_id"]),
        ),
        Kind::Track => (None, Some(distinct_id)),
    };
    Ok(Record {
        event_id: required_text(value, "uuid")?,
        name: event,
        kind,
        user,
        anonymous,
        time: required_text(value, "timestamp")?,
        traits: properties.and_then(|p| p.get("$set")).cloned(),
        groups: properties.and_then(|p| p.get("$groups")).cloned(),
        properties: properties.map(|p| Value::Object(p.clone())),
    })
}
