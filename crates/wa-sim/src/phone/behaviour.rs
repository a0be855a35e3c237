//! How a simulated phone misbehaves on demand.

/// Scripted faults of a simulated phone. Going offline is the router's business; forgetting
/// every session and sender key is a separate one-shot operation on the phone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Behaviour {
    /// How many of the next incoming messages "fail" to decrypt: the phone leaves its Signal
    /// state untouched, records nothing and answers with a retry receipt (with fresh keys from
    /// the second retry of a message on), as a real client does after a bad MAC.
    pub fail_next_decrypts: u32,
}
