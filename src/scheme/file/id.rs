//! The `[id]` table: the signed header that becomes the delivery id, or with `body_json` the
//! object's id field.

use http::HeaderName;

use crate::scheme::TimestampSource;

use super::raw::RawId;
use super::signature::Signature;
use super::{Invalid, fail, header_name, required};

/// The id's header; `None` without an `[id]` table, or with `body_json`, whose id comes from
/// the body's object.
pub(super) fn id(
    raw: Option<&RawId>,
    token: bool,
    signature: &Signature,
    timestamp: Option<&TimestampSource>,
) -> Result<Option<HeaderName>, Invalid> {
    let in_body = signature.in_body();
    match raw {
        None if in_body => fail(
            &["id"],
            "a signature in body_json needs an [id] table with from = \"signature-param\": \
             the body is not signed, so only its signed id_field can be the delivery id",
        ),
        None => Ok(None),
        Some(_) if token => fail(
            &["id"],
            "a token scheme signs nothing, so its id would not be authenticated",
        ),
        Some(id) if in_body => {
            if id.header.is_some() || id.from.as_deref() != Some("signature-param") {
                return fail(
                    &["id", "from"],
                    "with signature.body_json the id is its id_field: from = \"signature-param\" \
                     (and no header)",
                );
            }
            Ok(None)
        }
        Some(id) => own_header(id, signature.header.as_ref(), timestamp).map(Some),
    }
}

/// A header of its own, neither the signature's nor the timestamp's.
fn own_header(
    id: &RawId,
    signature_header: Option<&HeaderName>,
    timestamp: Option<&TimestampSource>,
) -> Result<HeaderName, Invalid> {
    const PATH: &[&str] = &["id", "header"];
    if id.from.is_some() {
        return fail(
            &["id", "from"],
            "from = \"signature-param\" is for signature.body_json; give the id's header",
        );
    }
    let name = header_name(required(&id.header, PATH, "the id's header")?, PATH)?;
    let clash = Some(&name) == signature_header // ct-lint: public (configuration)
        || matches!(timestamp, Some(TimestampSource::Header(t, _)) if *t == name);
    if clash {
        return fail(PATH, "the id needs a header of its own");
    }
    Ok(name)
}
