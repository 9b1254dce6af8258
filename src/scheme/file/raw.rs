//! The scheme file as serde reads it: every field optional, so that a missing one is reported
//! by name (with its table's line) rather than as a parse error. The struct names show in
//! serde's messages ("expected struct RawSignature").

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScheme {
    pub(super) name: Option<String>,
    pub(super) algorithm: Option<String>,
    pub(super) secret_format: Option<String>,
    pub(super) signed: Option<String>,
    pub(super) handshake: Option<String>,
    pub(super) signature: Option<RawSignature>,
    pub(super) timestamp: Option<RawTimestamp>,
    pub(super) id: Option<RawId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSignature {
    pub(super) header: Option<String>,
    pub(super) encoding: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) list: Option<RawList>,
    pub(super) body_json: Option<RawBodyJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBodyJson {
    pub(super) object: Option<String>,
    pub(super) signature_field: Option<String>,
    pub(super) timestamp_field: Option<String>,
    pub(super) id_field: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawList {
    pub(super) item_separator: Option<String>,
    pub(super) key_value_separator: Option<String>,
    pub(super) signature_key: Option<String>,
    pub(super) timestamp_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimestamp {
    pub(super) header: Option<String>,
    pub(super) from: Option<String>,
    pub(super) body_json_field: Option<String>,
    pub(super) unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawId {
    pub(super) header: Option<String>,
    pub(super) from: Option<String>,
}
