//! Sans-IO Noise_XX_25519_AESGCM_SHA256 for WhatsApp: handshake (both roles), certificate chain, transport, framing.
