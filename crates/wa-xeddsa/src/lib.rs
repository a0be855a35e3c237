//! XEdDSA signatures over Curve25519 keys (sign and verify), as used by WhatsApp and Signal.
