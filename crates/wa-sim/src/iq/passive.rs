//! `<iq xmlns="passive" type="set"><active/></iq>` (or `<passive/>`): a client says whether it
//! wants offline messages pushed. Every connection is treated as active for now, so both are
//! acknowledged with an empty result.

use wa_binary::Node;

use super::{Outcome, BAD_REQUEST};
use crate::registry::{DeviceRef, Registry};

/// Acknowledges `<active/>` or `<passive/>`; anything else is a bad request.
pub(super) fn set_mode(
    request: &Node<'_>,
    _device: &DeviceRef,
    _registry: &mut Registry,
) -> Outcome {
    match request.children() {
        [mode] if matches!(mode.tag(), "active" | "passive") => Ok(Vec::new()),
        _ => Err(BAD_REQUEST),
    }
}
