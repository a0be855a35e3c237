//! Sender keys: group messages encrypted once with a per-sender chain and signed, the key
//! itself distributed pairwise in a SenderKeyDistributionMessage.

mod error;

pub use error::SenderKeyError;
