//! The phone module's tests: two or three phones on a fake server that fans stanzas out by
//! hand.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod direct;
mod group;
mod harness;
mod malformed;
mod retry;
