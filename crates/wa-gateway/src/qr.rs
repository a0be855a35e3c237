//! The pairing QR code as an image: SVG from the `qrcode` crate, PNG encoded here (8-bit
//! grayscale, one zlib stream) so that no image library is needed.

use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use qrcode::{Color, QrCode};

use crate::error::{Error, Result};

/// Pixels per QR module in the PNG.
const SCALE: usize = 8;

/// Light modules around the code (the quiet zone the standard asks for).
const QUIET: usize = 4;

fn code(text: &str) -> Result<QrCode> {
    QrCode::new(text.as_bytes()).map_err(|_| Error::invalid("the QR text does not fit a QR code"))
}

/// The QR code of `text` as an SVG document.
///
/// ```
/// let svg = wa_gateway::qr::svg("2@abc,def,ghi,jkl")?;
/// assert!(svg.contains("<svg"));
/// # Ok::<(), wa_gateway::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidRequest`] when `text` is too long for a QR code.
pub fn svg(text: &str) -> Result<String> {
    Ok(code(text)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .build())
}

/// The QR code of `text` as a PNG image.
///
/// ```
/// let png = wa_gateway::qr::png("2@abc,def,ghi,jkl")?;
/// assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
/// # Ok::<(), wa_gateway::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidRequest`] when `text` is too long for a QR code.
pub fn png(text: &str) -> Result<Vec<u8>> {
    let code = code(text)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter type None
        let my = (y / SCALE).checked_sub(QUIET).filter(|m| *m < modules);
        for x in 0..side {
            let mx = (x / SCALE).checked_sub(QUIET).filter(|m| *m < modules);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) => colors.get(my * modules + mx) == Some(&Color::Dark),
                _ => false,
            };
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&raw)?;
    let idat = zlib.finish()?;
    let side = u32::try_from(side).map_err(|_| Error::invalid("QR code too large"))?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grayscale, deflate, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr)?;
    chunk(&mut out, b"IDAT", &idat)?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<()> {
    let length = u32::try_from(data.len()).map_err(|_| Error::invalid("PNG chunk too large"))?;
    out.extend_from_slice(&length.to_be_bytes());
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    Ok(())
}
