//! Segment track and identify calls as JSON lines (a warehouse or S3
//! export of the Tracking API): `type`, `messageId`, `userId`,
//! `anonymousId`, `event`, `timestamp`, `properties`, `traits`,
//! `context.groupId`, `context.traits`.
//!
//! Identity: an `identify` call with both `userId` and `anonymousId` merges
//! the anonymous id into the user (as does an `alias` call, `previousId`
//! into `userId`, and any call carrying both ids). `page` and `screen`
//! calls are events named `page` and `screen`; `group` calls are skipped
//! (the workspace comes from `context.groupId`, `groups.groupId` in the
//! mapping).

use serde_json::{Map, Value};

use super::{optional_text, required_text, text_at, Kind, Record, RecordError};

pub(super) fn record(value: &Value) -> Result<Option<Record>, RecordError> {
    let call = required_text(value, "type")?;
    let (name, kind) = match call.as_str() {
        "track" => (required_text(value, "event")?, Kind::Track),
        "page" | "screen" => (call.clone(), Kind::Track),
        "identify" | "alias" => (call.clone(), Kind::Identify),
        "group" => return Ok(None),
        _ => {
            return Err(RecordError::Invalid {
                field: "type",
                value: call,
                expected: "track, identify, page, screen, group or alias",
            })
        }
    };
    let user = optional_text(value, "userId")?;
    let anonymous = if call == "alias" {
        optional_text(value, "previousId")?
    } else {
        optional_text(value, "anonymousId")?
    };
    if user.is_none() && anonymous.is_none() {
        return Err(RecordError::Missing("userId"));
    }
    let traits = match kind {
        Kind::Identify => value.get("traits").cloned(),
        Kind::Track => value.get("context").and_then(|c| c.get("traits")).cloned(),
    };
    let groups = text_at(value, &["context", "groupId"]).map(|group| {
        let mut map = Map::new();
        map.insert("groupId".into(), Value::String(group));
        Value::Object(map)
    });
    Ok(Some(Record {
        event_id: required_text(value, "messageId")?,
        name,
        kind,
        user,
        anonymous,
        time: required_text(value, "timestamp")?,
        properties: value.get("properties").cloned(),
        traits,
        groups,
    }))
}
