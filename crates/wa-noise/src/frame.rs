//! The frame codec: the intro header, the optional edge-routing prefix, and 3-byte length framing.
//!
//! Client to server, the very first bytes of the connection are
//! `[45 44 00 01 | len: u24 BE | routing info]` (optional, Baileys' edge routing) then the intro
//! header `57 41 06 VV` ("WA", 6, token-dictionary version), written once. Every frame, in both
//! directions, is a 3-byte big-endian length then the payload. WebSocket message boundaries mean
//! nothing: one message may hold several frames or part of one.

use crate::FrameError;

/// Largest payload a 3-byte length can describe: 2^24 - 1.
pub const MAX_FRAME_LENGTH: usize = (1 << 24) - 1;
/// Size of a frame's length prefix.
pub const FRAME_LENGTH_PREFIX: usize = 3;
/// Size of the intro header.
pub const INTRO_HEADER_LENGTH: usize = 4;
/// Edge-routing magic: "ED", 0, 1.
pub const EDGE_ROUTING_MAGIC: [u8; 4] = [b'E', b'D', 0, 1];
/// Largest edge-routing info a [`FrameDecoder`] accepts (real routing info is a few bytes).
pub const MAX_ROUTING_INFO_LENGTH: usize = 4096;

/// The intro header `57 41 06 VV`, and with it the Noise prologue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntroHeader {
    dict_version: u8,
}

impl IntroHeader {
    /// "WA" and the protocol magic 6.
    pub const MAGIC: [u8; 3] = [b'W', b'A', 6];
    /// Dictionary version 3: current WhatsApp Web and whatsmeow (the default).
    pub const V3: Self = Self::new(3);
    /// Dictionary version 2: Baileys 6.x.
    pub const V2: Self = Self::new(2);

    /// The header for a token-dictionary version.
    #[must_use]
    pub const fn new(dict_version: u8) -> Self {
        Self { dict_version }
    }

    /// The token-dictionary version byte `VV`.
    #[must_use]
    pub const fn dict_version(self) -> u8 {
        self.dict_version
    }

    /// The four header bytes (also the Noise prologue).
    #[must_use]
    pub const fn to_bytes(self) -> [u8; INTRO_HEADER_LENGTH] {
        [
            Self::MAGIC[0],
            Self::MAGIC[1],
            Self::MAGIC[2],
            self.dict_version,
        ]
    }
}

impl Default for IntroHeader {
    fn default() -> Self {
        Self::V3
    }
}

fn u24_be(len: usize) -> [u8; 3] {
    let [_, _, _, _, _, a, b, c] = (len as u64).to_be_bytes();
    [a, b, c]
}

/// Appends one frame (length prefix and payload) to `out`.
pub fn write_frame(payload: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
    write_frame_length(payload.len(), out)?;
    out.extend_from_slice(payload);
    Ok(())
}

/// Appends the 3-byte length prefix of a frame of `len` bytes.
pub(crate) fn write_frame_length(len: usize, out: &mut Vec<u8>) -> Result<(), FrameError> {
    if len > MAX_FRAME_LENGTH {
        return Err(FrameError::TooLarge {
            len,
            max: MAX_FRAME_LENGTH,
        });
    }
    out.extend_from_slice(&u24_be(len));
    Ok(())
}

/// Writes frames, putting the intro (and optional edge-routing prefix) before the first one.
#[derive(Debug, Clone)]
pub struct FrameEncoder {
    /// Bytes still to be written before the next frame; empty once sent.
    prefix: Vec<u8>,
}

impl FrameEncoder {
    /// The client's encoder: `header` goes before the first frame.
    #[must_use]
    pub fn new(header: IntroHeader) -> Self {
        Self {
            prefix: header.to_bytes().to_vec(),
        }
    }

    /// The client's encoder with Baileys' edge-routing prefix before the header.
    pub fn with_routing_info(header: IntroHeader, routing_info: &[u8]) -> Result<Self, FrameError> {
        if routing_info.len() > MAX_FRAME_LENGTH {
            return Err(FrameError::RoutingInfoTooLarge {
                len: routing_info.len(),
                max: MAX_FRAME_LENGTH,
            });
        }
        let mut prefix = Vec::with_capacity(7 + routing_info.len() + INTRO_HEADER_LENGTH);
        prefix.extend_from_slice(&EDGE_ROUTING_MAGIC);
        prefix.extend_from_slice(&u24_be(routing_info.len()));
        prefix.extend_from_slice(routing_info);
        prefix.extend_from_slice(&header.to_bytes());
        Ok(Self { prefix })
    }

    /// The server's encoder: frames only.
    #[must_use]
    pub const fn without_intro() -> Self {
        Self { prefix: Vec::new() }
    }

    /// Whether the intro is still to be written.
    #[must_use]
    pub fn intro_pending(&self) -> bool {
        !self.prefix.is_empty()
    }

    /// Appends the pending intro (first call only), the length prefix and `payload` to `out`.
    pub fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
        if payload.len() > MAX_FRAME_LENGTH {
            return Err(FrameError::TooLarge {
                len: payload.len(),
                max: MAX_FRAME_LENGTH,
            });
        }
        out.reserve(self.prefix.len() + FRAME_LENGTH_PREFIX + payload.len());
        out.append(&mut self.prefix);
        write_frame(payload, out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Intro {
    /// The peer sends no intro (the client's view of the server).
    NotExpected,
    /// Waiting for the client's intro.
    Pending,
    /// Received.
    Received {
        header: IntroHeader,
        routing_info: Option<Vec<u8>>,
    },
}

/// Reassembles frames from arbitrary chunks (WebSocket messages).
///
/// Call [`push`](Self::push) with each chunk, then [`next_frame`](Self::next_frame) until it
/// returns `None`. Lengths are checked as soon as their three bytes arrive, so a hostile length
/// is rejected before its payload is buffered; memory never grows beyond the bytes pushed. After
/// an error the decoder keeps returning that error.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the first frame not yet returned.
    read: usize,
    /// Start of the first frame whose length has not been checked.
    checked: usize,
    max_frame_length: usize,
    intro: Intro,
    error: Option<FrameError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// The client's decoder: the server sends frames only.
    #[must_use]
    pub const fn new() -> Self {
        Self::with_intro(Intro::NotExpected)
    }

    /// The server's decoder: the client's intro header (and optional edge-routing prefix)
    /// comes first; [`intro_header`](Self::intro_header) reports it once received.
    #[must_use]
    pub const fn server() -> Self {
        Self::with_intro(Intro::Pending)
    }

    const fn with_intro(intro: Intro) -> Self {
        Self {
            buf: Vec::new(),
            read: 0,
            checked: 0,
            max_frame_length: MAX_FRAME_LENGTH,
            intro,
            error: None,
        }
    }

    /// Lowers the largest accepted frame (capped at [`MAX_FRAME_LENGTH`]).
    #[must_use]
    pub fn with_max_frame_length(mut self, max: usize) -> Self {
        self.max_frame_length = max.min(MAX_FRAME_LENGTH);
        self
    }

    /// The largest accepted frame.
    #[must_use]
    pub const fn max_frame_length(&self) -> usize {
        self.max_frame_length
    }

    /// The client's intro header, once received (server decoder only).
    #[must_use]
    pub const fn intro_header(&self) -> Option<IntroHeader> {
        match &self.intro {
            Intro::Received { header, .. } => Some(*header),
            Intro::NotExpected | Intro::Pending => None,
        }
    }

    /// The client's edge-routing info, if it sent any (server decoder only).
    #[must_use]
    pub fn routing_info(&self) -> Option<&[u8]> {
        match &self.intro {
            Intro::Received { routing_info, .. } => routing_info.as_deref(),
            Intro::NotExpected | Intro::Pending => None,
        }
    }

    /// Bytes buffered and not yet returned as frames.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.buf.len().saturating_sub(self.read)
    }

    /// Adds a chunk of received bytes and checks every length prefix now complete.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FrameError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.read > 0 {
            // Drop frames already handed out; they are no longer borrowed.
            self.buf.drain(..self.read);
            self.checked -= self.read;
            self.read = 0;
        }
        self.buf.extend_from_slice(chunk);
        let result = self.parse_intro().and_then(|()| self.check_lengths());
        if let Err(error) = result {
            self.error = Some(error);
            self.buf = Vec::new();
            self.read = 0;
            self.checked = 0;
        }
        result
    }

    /// The next complete frame's payload, if any. The slice is valid until the next call and may
    /// be decrypted in place.
    pub fn next_frame(&mut self) -> Result<Option<&mut [u8]>, FrameError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.intro == Intro::Pending || self.read >= self.checked {
            return Ok(None);
        }
        // Frames before `checked` are complete and within the limit.
        let Some(len) = read_u24(&self.buf, self.read) else {
            return Ok(None);
        };
        let start = self.read + FRAME_LENGTH_PREFIX;
        let end = start + len;
        self.read = end;
        Ok(self.buf.get_mut(start..end))
    }

    /// Walks complete frames from `checked`, rejecting lengths above the limit as soon as the
    /// prefix is complete (even before the payload arrives).
    fn check_lengths(&mut self) -> Result<(), FrameError> {
        if self.intro == Intro::Pending {
            return Ok(());
        }
        while let Some(len) = read_u24(&self.buf, self.checked) {
            if len > self.max_frame_length {
                return Err(FrameError::TooLarge {
                    len,
                    max: self.max_frame_length,
                });
            }
            let end = self.checked + FRAME_LENGTH_PREFIX + len;
            if end > self.buf.len() {
                break;
            }
            self.checked = end;
        }
        Ok(())
    }

    /// Consumes the client's `[ED 00 01 | len | routing] WA 06 VV` once it is complete; rejects
    /// wrong bytes as soon as they arrive.
    fn parse_intro(&mut self) -> Result<(), FrameError> {
        if self.intro != Intro::Pending {
            return Ok(());
        }
        let buf = self.buf.as_slice();
        let (routing_info, header_at) = if buf.first() == Some(&EDGE_ROUTING_MAGIC[0]) {
            if !is_prefix_of(buf, &EDGE_ROUTING_MAGIC) {
                return Err(FrameError::InvalidRoutingPrefix);
            }
            let Some(len) = read_u24(buf, EDGE_ROUTING_MAGIC.len()) else {
                return Ok(());
            };
            if len > MAX_ROUTING_INFO_LENGTH {
                return Err(FrameError::RoutingInfoTooLarge {
                    len,
                    max: MAX_ROUTING_INFO_LENGTH,
                });
            }
            let start = EDGE_ROUTING_MAGIC.len() + FRAME_LENGTH_PREFIX;
            let Some(info) = buf.get(start..start + len) else {
                return Ok(());
            };
            (Some(info.to_vec()), start + len)
        } else {
            (None, 0)
        };
        let rest = buf.get(header_at..).unwrap_or_default();
        if !is_prefix_of(rest, &IntroHeader::MAGIC) {
            return Err(FrameError::InvalidIntroHeader);
        }
        let Some(&dict_version) = rest.get(IntroHeader::MAGIC.len()) else {
            return Ok(());
        };
        let consumed = header_at + INTRO_HEADER_LENGTH;
        self.intro = Intro::Received {
            header: IntroHeader::new(dict_version),
            routing_info,
        };
        self.read = consumed;
        self.checked = consumed;
        Ok(())
    }
}

/// Whether the bytes available so far agree with `expected` (either may be the shorter).
fn is_prefix_of(available: &[u8], expected: &[u8]) -> bool {
    available.iter().zip(expected).all(|(a, b)| a == b)
}

fn read_u24(buf: &[u8], at: usize) -> Option<usize> {
    match buf.get(at..at.checked_add(FRAME_LENGTH_PREFIX)?)? {
        &[a, b, c] => Some(usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c)),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(decoder: &mut FrameDecoder) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame().unwrap() {
            frames.push(frame.to_vec());
        }
        frames
    }

    fn client_stream(routing: Option<&[u8]>, payloads: &[&[u8]]) -> Vec<u8> {
        let mut encoder = match routing {
            Some(info) => FrameEncoder::with_routing_info(IntroHeader::V2, info).unwrap(),
            None => FrameEncoder::new(IntroHeader::V2),
        };
        let mut out = Vec::new();
        for payload in payloads {
            encoder.encode(payload, &mut out).unwrap();
        }
        assert_eq!(encoder.intro_pending(), payloads.is_empty());
        out
    }

    #[test]
    fn intro_written_once() {
        let out = client_stream(None, &[b"ab", b"", b"c"]);
        assert_eq!(
            out,
            [&[0x57, 0x41, 6, 2, 0, 0, 2, b'a', b'b', 0, 0, 0, 0, 0, 1, b'c'][..]].concat()
        );
    }

    #[test]
    fn routing_prefix_layout() {
        let out = client_stream(Some(&[8, 1, 8, 2, 8]), &[b"x"]);
        assert_eq!(
            out,
            [0x45, 0x44, 0, 1, 0, 0, 5, 8, 1, 8, 2, 8, 0x57, 0x41, 6, 2, 0, 0, 1, b'x']
        );
    }

    #[test]
    fn split_at_every_boundary_reassembles() {
        let payloads: [&[u8]; 4] = [b"hello", b"", &[7u8; 300], b"z"];
        for routing in [None, Some(&b"\x08\x01\x08\x02\x08"[..])] {
            let stream = client_stream(routing, &payloads);
            for cut in 0..=stream.len() {
                for second_cut in [cut, (cut + 1).min(stream.len()), stream.len()] {
                    let mut decoder = FrameDecoder::server();
                    let mut frames = Vec::new();
                    for chunk in [
                        &stream[..cut],
                        &stream[cut..second_cut],
                        &stream[second_cut..],
                    ] {
                        decoder.push(chunk).unwrap();
                        frames.extend(drain(&mut decoder));
                    }
                    assert_eq!(frames, payloads.map(<[u8]>::to_vec));
                    assert_eq!(decoder.intro_header(), Some(IntroHeader::V2));
                    assert_eq!(decoder.routing_info(), routing);
                    assert_eq!(decoder.buffered_len(), 0);
                }
            }
        }
    }

    #[test]
    fn byte_by_byte_client_side() {
        let mut stream = Vec::new();
        for payload in [&b"abc"[..], &[1u8; 70_000]] {
            write_frame(payload, &mut stream).unwrap();
        }
        let mut decoder = FrameDecoder::new();
        let mut frames = Vec::new();
        for byte in &stream {
            decoder.push(std::slice::from_ref(byte)).unwrap();
            frames.extend(drain(&mut decoder));
        }
        assert_eq!(frames, vec![b"abc".to_vec(), vec![1u8; 70_000]]);
        assert_eq!(decoder.intro_header(), None);
    }

    #[test]
    fn oversized_length_rejected_before_payload() {
        let mut decoder = FrameDecoder::new().with_max_frame_length(1000);
        decoder.push(&[0, 3, 0xe8]).unwrap(); // exactly 1000: fine, waiting
        assert_eq!(drain(&mut decoder).len(), 0);
        let mut decoder = FrameDecoder::new().with_max_frame_length(1000);
        let err = FrameError::TooLarge {
            len: 1001,
            max: 1000,
        };
        assert_eq!(decoder.push(&[0, 3, 0xe9]), Err(err));
        // Sticky.
        assert_eq!(decoder.push(&[]), Err(err));
        assert_eq!(decoder.next_frame(), Err(err));
        assert_eq!(decoder.buffered_len(), 0);

        // A too-large frame after good ones in the same chunk is still rejected at push.
        let mut decoder = FrameDecoder::new().with_max_frame_length(4);
        assert!(decoder.push(&[0, 0, 1, b'a', 0, 0, 5]).is_err());
    }

    #[test]
    fn encoder_rejects_oversized_payload() {
        let mut out = Vec::new();
        let big = vec![0u8; MAX_FRAME_LENGTH + 1];
        let err = FrameError::TooLarge {
            len: MAX_FRAME_LENGTH + 1,
            max: MAX_FRAME_LENGTH,
        };
        assert_eq!(write_frame(&big, &mut out), Err(err));
        let mut encoder = FrameEncoder::new(IntroHeader::V3);
        assert_eq!(encoder.encode(&big, &mut out), Err(err));
        assert!(encoder.intro_pending());
        assert!(out.is_empty());
        write_frame(&big[..MAX_FRAME_LENGTH], &mut out).unwrap();
        assert_eq!(&out[..3], &[0xff, 0xff, 0xff]);
    }

    #[test]
    fn bad_intro_rejected_early() {
        let mut decoder = FrameDecoder::server();
        assert_eq!(decoder.push(b"X"), Err(FrameError::InvalidIntroHeader));
        let mut decoder = FrameDecoder::server();
        decoder.push(b"WA").unwrap();
        assert_eq!(decoder.push(&[5]), Err(FrameError::InvalidIntroHeader));
        let mut decoder = FrameDecoder::server();
        assert_eq!(decoder.push(b"EX"), Err(FrameError::InvalidRoutingPrefix));
        let mut decoder = FrameDecoder::server();
        assert_eq!(
            decoder.push(&[b'E', b'D', 0, 1, 0x10, 0, 0]),
            Err(FrameError::RoutingInfoTooLarge {
                len: 0x10_0000,
                max: MAX_ROUTING_INFO_LENGTH
            })
        );
        let mut decoder = FrameDecoder::server();
        decoder.push(&[b'E', b'D', 0, 1, 0, 0, 1, 9]).unwrap();
        assert_eq!(decoder.push(b"WB"), Err(FrameError::InvalidIntroHeader));
        // Any dictionary version is reported, not judged.
        let mut decoder = FrameDecoder::server();
        decoder.push(&[b'W', b'A', 6, 0x7f]).unwrap();
        assert_eq!(decoder.intro_header(), Some(IntroHeader::new(0x7f)));
    }

    #[test]
    fn frames_can_be_modified_in_place() {
        let mut decoder = FrameDecoder::new();
        decoder.push(&[0, 0, 2, 1, 2, 0, 0, 1, 3]).unwrap();
        let frame = decoder.next_frame().unwrap().unwrap();
        frame[0] = 9;
        assert_eq!(frame, &[9, 2]);
        assert_eq!(decoder.next_frame().unwrap().unwrap(), &[3]);
        assert_eq!(decoder.next_frame().unwrap(), None);
    }

    proptest! {
        #[test]
        fn prop_arbitrary_chunks_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16), server in any::<bool>(), max in 0usize..100) {
            let mut decoder = if server { FrameDecoder::server() } else { FrameDecoder::new() }.with_max_frame_length(max);
            for chunk in &chunks {
                if decoder.push(chunk).is_err() {
                    break;
                }
                while let Ok(Some(frame)) = decoder.next_frame() {
                    prop_assert!(frame.len() <= max);
                }
            }
            let pushed: usize = chunks.iter().map(Vec::len).sum();
            prop_assert!(decoder.buffered_len() <= pushed);
        }

        #[test]
        fn prop_round_trip_any_split(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..8), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6)) {
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let stream = client_stream(None, &refs);
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.push(0);
            points.push(stream.len());
            points.sort_unstable();
            let mut decoder = FrameDecoder::server();
            let mut frames = Vec::new();
            for w in points.windows(2) {
                decoder.push(&stream[w[0]..w[1]]).unwrap();
                frames.extend(drain(&mut decoder));
            }
            prop_assert_eq!(frames, payloads);
        }
    }
}
