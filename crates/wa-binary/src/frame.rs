//! The frame payload's flag byte and zlib inflation (bounded).

use std::borrow::Cow;

use flate2::{Decompress, FlushDecompress, Status};

use crate::decode::DecodeLimits;
use crate::error::Error;
use crate::tag;

/// Strips the flag byte of a frame payload and returns the node bytes: borrowed when the frame
/// is uncompressed, inflated (RFC 1950 zlib) when the flag has bit `0x02`. Other flag bits are
/// ignored, as by Baileys and whatsmeow.
///
/// # Errors
/// [`Error::UnexpectedEof`] for an empty frame; [`Error::Inflate`] for a corrupt or truncated
/// zlib stream (the Adler-32 checksum included); [`Error::InflatedTooLarge`] past
/// `limits.max_inflated_len`; [`Error::TrailingBytes`] after the end of the zlib stream.
pub fn unpack_frame<'a>(frame: &'a [u8], limits: &DecodeLimits) -> Result<Cow<'a, [u8]>, Error> {
    let (&flags, payload) = frame.split_first().ok_or(Error::UnexpectedEof)?;
    if flags & tag::FLAG_COMPRESSED != 0 {
        inflate(payload, limits.max_inflated_len).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(payload))
    }
}

/// Inflates `input`, never holding more than `limit + 1` output bytes.
fn inflate(input: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    let cap = limit.saturating_add(1);
    let mut inflater = Decompress::new(true);
    let mut out = Vec::with_capacity(input.len().saturating_mul(4).max(64).min(cap));
    loop {
        let consumed = consumed(&inflater)?;
        let rest = input.get(consumed..).unwrap_or_default();
        let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
        let status = inflater
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| Error::Inflate(e.to_string()))?;
        if status == Status::StreamEnd {
            break;
        }
        if out.len() >= cap {
            return Err(Error::InflatedTooLarge { limit });
        }
        if out.len() == out.capacity() {
            let grow = out.capacity().max(64).min(cap - out.len());
            out.reserve_exact(grow);
        } else if inflater.total_in() == in_before && inflater.total_out() == out_before {
            return Err(Error::Inflate("truncated zlib stream".to_owned()));
        }
    }
    if out.len() > limit {
        return Err(Error::InflatedTooLarge { limit });
    }
    match input.len().saturating_sub(consumed(&inflater)?) {
        0 => Ok(out),
        count => Err(Error::TrailingBytes { count }),
    }
}

fn consumed(inflater: &Decompress) -> Result<usize, Error> {
    usize::try_from(inflater.total_in()).map_err(|_| Error::InflatedTooLarge { limit: usize::MAX })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::ZlibEncoder;
    use flate2::Compression;

    use super::*;

    fn compress(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(vec![tag::FLAG_COMPRESSED], Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_frames_borrow() {
        let frame = [0u8, 1, 2];
        assert!(matches!(
            unpack_frame(&frame, &DecodeLimits::DEFAULT),
            Ok(Cow::Borrowed([1, 2]))
        ));
        assert_eq!(
            unpack_frame(&[], &DecodeLimits::DEFAULT),
            Err(Error::UnexpectedEof)
        );
    }

    #[test]
    fn inflates_up_to_the_limit_and_no_further() {
        let data = vec![7u8; 100_000];
        let frame = compress(&data);
        let exact = DecodeLimits::DEFAULT.with_max_inflated_len(100_000);
        assert_eq!(unpack_frame(&frame, &exact).unwrap().as_ref(), &data[..]);
        let short = DecodeLimits::DEFAULT.with_max_inflated_len(99_999);
        assert_eq!(
            unpack_frame(&frame, &short),
            Err(Error::InflatedTooLarge { limit: 99_999 })
        );
    }

    /// Regression: a limit below the initial reservation made `clamp` panic (min > max).
    #[test]
    fn tiny_limits_are_errors_not_panics() {
        let frame = compress(b"a frame longer than sixteen bytes");
        for limit in [0, 1, 16, 32] {
            let limits = DecodeLimits::DEFAULT.with_max_inflated_len(limit);
            assert_eq!(
                unpack_frame(&frame, &limits),
                Err(Error::InflatedTooLarge { limit })
            );
        }
    }

    #[test]
    fn zip_bomb_is_refused_without_inflating_it() {
        let frame = compress(&vec![0u8; 8 << 20]);
        assert!(frame.len() < 20_000);
        let limits = DecodeLimits::DEFAULT.with_max_inflated_len(1 << 20);
        assert_eq!(
            unpack_frame(&frame, &limits),
            Err(Error::InflatedTooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn corrupt_truncated_and_trailing_streams() {
        let frame = compress(b"hello world, hello world");
        let mut bad_checksum = frame.clone();
        if let Some(last) = bad_checksum.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(
            unpack_frame(&bad_checksum, &DecodeLimits::DEFAULT),
            Err(Error::Inflate(_))
        ));
        let truncated = frame.get(..frame.len() - 5).unwrap();
        assert!(matches!(
            unpack_frame(truncated, &DecodeLimits::DEFAULT),
            Err(Error::Inflate(_))
        ));
        let mut trailing = frame.clone();
        trailing.extend_from_slice(b"xx");
        assert_eq!(
            unpack_frame(&trailing, &DecodeLimits::DEFAULT),
            Err(Error::TrailingBytes { count: 2 })
        );
        assert!(matches!(
            unpack_frame(&[2, 0x78], &DecodeLimits::DEFAULT),
            Err(Error::Inflate(_))
        ));
    }
}
