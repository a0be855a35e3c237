//! WhatsApp binary XML nodes: Node, Jid, token dictionaries v2 and v3, encoder and decoder (sans-IO).
