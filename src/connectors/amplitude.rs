//! Amplitude Export API files: gzipped JSON lines with `uuid`, `$insert_id`,
//! `user_id`, `device_id`, `event_type`, `event_time` (UTC,
//! `YYYY-MM-DD HH:MM:SS.ffffff`), `event_properties`, `user_properties` and
//! `groups`.
//!
//! Identity: Amplitude merges a device into the user once an event carries
//! both `device_id` and `user_id`: the device's anonymous events belong to
//! that user. The event's own id is `$insert_id` (Amplitude's deduplication
//! key), or `uuid` when the export has none.

use serde_json::Value;

use super::{optional_text, required_text, Kind, Record, RecordError};

pub(super) fn record(value: &Value) -> Result<Record, RecordError> {
    let event_id = match optional_text(value, "$insert_id")? {
        Some(id) => id,
        None => required_text(value, "uuid")?,
    };
    let user = optional_text(value, "user_id")?;
    let device = optional_text(value, "device_id")?;
    if user.is_none() && device.is_none() {
        return Err(RecordError::Missing("user_id"));
    }
    let name = required_text(value, "event_type")?;
    let kind = if name == "$identify" {
        Kind::Identify
    } else {
        Kind::Track
    };
    Ok(Record {
        event_id,
        name,
        kind,
        user,
        anonymous: device,
        time: required_text(value, "event_time")?,
        properties: value.get("event_properties").cloned(),
        traits: value.get("user_properties").cloned(),
        groups: value.get("groups").cloned(),
    })
}
