//! Benchmarks of the wire path. The criterion benches live in `benches/benches/`; this library
//! holds what they share with the `wa bench` command line.
//!
//! * [`send_path`]: the in-process send path per message (protobuf, padding, Signal, stanza
//!   encoding, Noise framing) over established sessions, beside the raw cryptographic floor of
//!   the same work, for `benches/send_path.rs` and `wa bench send-path`.

pub mod send_path;
