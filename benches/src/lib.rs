//! Benchmarks of the wire path. The criterion benches live in `benches/benches/`; this library
//! holds what they share with the `wa bench` command line.
//!
//! * [`send_path`]: the in-process send path per message (protobuf, padding, Signal, stanza
//!   encoding, Noise framing) over established sessions, beside the raw cryptographic floor of
//!   the same work, for `benches/send_path.rs` and `wa bench send-path`.
//! * [`send_loop`]: one engine session with its store on disk sending reactions to the
//!   in-process simulator and waiting for acks, at offered rates (`wa bench send-loop`);
//! * [`loopback`]: the simulator-and-paired-session set-up the end-to-end benches share;
//! * [`engine_loop`]: the engine side of the crash test (a send loop on a store file);
//! * [`idle_memory`]: idle sessions in one process and its memory per session
//!   (`wa bench idle-memory`).

pub mod engine_loop;
pub mod idle_memory;
pub mod loopback;
pub mod send_loop;
pub mod send_path;
