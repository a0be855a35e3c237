//! The `ClientPayload` sent in the Noise client finish (PROTOCOL.md section 1), as whatsmeow
//! sends it: a common web user agent, plus `devicePairingData` to register a new device or
//! the device's JID to log in as a paired one.

use md5::{Digest as _, Md5};
use prost::Message as _;
use wa_binary::{Jid, Server};
use wa_proto::companion_reg::device_props::{AppVersion as PropsVersion, PlatformType};
use wa_proto::companion_reg::DeviceProps;
use wa_proto::wa6::client_payload::user_agent::{AppVersion, Platform, ReleaseChannel};
use wa_proto::wa6::client_payload::web_info::WebSubPlatform;
use wa_proto::wa6::client_payload::{
    ConnectReason, ConnectType, DevicePairingRegistrationData, UserAgent, WebInfo,
};
use wa_proto::wa6::ClientPayload;
use wa_signal::keys::DJB_TYPE;

use super::credentials::Credentials;
use super::error::PairingError;

/// whatsmeow's current WhatsApp Web version.
const DEFAULT_WEB_VERSION: [u32; 3] = [2, 3000, 1_045_649_367];

/// What the client announces about itself. The defaults are whatsmeow's, with our own OS
/// name (shown on the phone's linked-devices list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The WhatsApp Web version (`primary.secondary.tertiary`); its MD5 is the build hash.
    pub web_version: [u32; 3],
    /// `DeviceProps.os`: the name the phone shows for this device.
    pub os_name: String,
    /// `DeviceProps.version`.
    pub os_version: [u32; 3],
    /// `DeviceProps.platformType`; also picks the QR's client type.
    pub platform_type: PlatformType,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            web_version: DEFAULT_WEB_VERSION,
            os_name: "wa-session".to_owned(),
            os_version: [0, 1, 0],
            platform_type: PlatformType::Unknown,
        }
    }
}

impl ClientConfig {
    /// The build hash: MD5 of the dotted web version string.
    #[must_use]
    pub fn build_hash(&self) -> [u8; 16] {
        let [a, b, c] = self.web_version;
        Md5::digest(format!("{a}.{b}.{c}").as_bytes()).into()
    }

    fn device_props(&self) -> DeviceProps {
        let [primary, secondary, tertiary] = self.os_version;
        DeviceProps {
            os: Some(self.os_name.clone()),
            version: Some(PropsVersion {
                primary: Some(primary),
                secondary: Some(secondary),
                tertiary: Some(tertiary),
                ..PropsVersion::default()
            }),
            platform_type: Some(self.platform_type.into()),
            require_full_sync: Some(false),
            history_sync_config: None,
        }
    }

    /// The part every payload shares: web user agent, browser web info, Wi-Fi, user
    /// activated.
    fn base_payload(&self) -> ClientPayload {
        let [primary, secondary, tertiary] = self.web_version;
        ClientPayload {
            user_agent: Some(UserAgent {
                platform: Some(Platform::Web.into()),
                app_version: Some(AppVersion {
                    primary: Some(primary),
                    secondary: Some(secondary),
                    tertiary: Some(tertiary),
                    ..AppVersion::default()
                }),
                mcc: Some("000".to_owned()),
                mnc: Some("000".to_owned()),
                os_version: Some("0.1".to_owned()),
                manufacturer: Some(String::new()),
                device: Some("Desktop".to_owned()),
                os_build_number: Some("0.1".to_owned()),
                release_channel: Some(ReleaseChannel::Release.into()),
                locale_language_iso_639_1: Some("en".to_owned()),
                locale_country_iso_3166_1_alpha_2: Some("US".to_owned()),
                ..UserAgent::default()
            }),
            web_info: Some(WebInfo {
                web_sub_platform: Some(WebSubPlatform::WebBrowser.into()),
                ..WebInfo::default()
            }),
            connect_type: Some(ConnectType::WifiUnknown.into()),
            connect_reason: Some(ConnectReason::UserActivated.into()),
            ..ClientPayload::default()
        }
    }

    /// The payload of a new device: `devicePairingData` with the public keys of `creds`
    /// (registration id 4 bytes BE, key type 5, identity, signed prekey id 3 bytes BE, its
    /// key and signature, build hash, device props), not passive, no pull.
    ///
    /// ```
    /// use rand_core::OsRng;
    /// use wa_session::{ClientConfig, Credentials};
    ///
    /// let creds = Credentials::generate(1_700_000_000, &mut OsRng);
    /// let payload = ClientConfig::default().registration_payload(&creds);
    /// let data = payload.device_pairing_data.expect("pairing data");
    /// assert_eq!(data.e_keytype.as_deref(), Some(&[5][..]));
    /// assert_eq!(payload.passive, Some(false));
    /// ```
    #[must_use]
    pub fn registration_payload(&self, creds: &Credentials) -> ClientPayload {
        let signed = &creds.signed_pre_key;
        let [_, id @ ..] = signed.id().0.to_be_bytes();
        ClientPayload {
            passive: Some(false),
            pull: Some(false),
            device_pairing_data: Some(DevicePairingRegistrationData {
                e_regid: Some(creds.registration_id.0.to_be_bytes().to_vec()),
                e_keytype: Some(vec![DJB_TYPE]),
                e_ident: Some(
                    creds
                        .identity
                        .identity_key()
                        .public_key()
                        .as_bytes()
                        .to_vec(),
                ),
                e_skey_id: Some(id.to_vec()),
                e_skey_val: Some(signed.key_pair().public_key().as_bytes().to_vec()),
                e_skey_sig: Some(signed.signature().to_vec()),
                build_hash: Some(self.build_hash().to_vec()),
                device_props: Some(self.device_props().encode_to_vec()),
            }),
            ..self.base_payload()
        }
    }

    /// The payload of a paired device `device` (`user:N@s.whatsapp.net`): username = phone
    /// number, device id, passive, pull, `lidDbMigrated`, `lc` = 1.
    ///
    /// # Errors
    /// [`PairingError::DeviceJid`] when `device` is not a phone-number device JID.
    ///
    /// ```
    /// use wa_binary::Jid;
    /// use wa_session::ClientConfig;
    ///
    /// let device = Jid::parse("15550001111:3@s.whatsapp.net")?;
    /// let payload = ClientConfig::default().login_payload(&device)?;
    /// assert_eq!((payload.username, payload.device), (Some(15_550_001_111), Some(3)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn login_payload(&self, device: &Jid) -> Result<ClientPayload, PairingError> {
        if device.server() != &Server::User {
            return Err(PairingError::DeviceJid);
        }
        let username = device
            .user()
            .parse::<u64>()
            .map_err(|_| PairingError::DeviceJid)?;
        Ok(ClientPayload {
            username: Some(username),
            device: Some(u32::from(device.device())),
            passive: Some(true),
            pull: Some(true),
            lid_db_migrated: Some(true),
            lc: Some(1),
            ..self.base_payload()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;

    #[test]
    fn build_hash_is_md5_of_the_version() {
        let hex = |config: &ClientConfig| -> String {
            config
                .build_hash()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        // Both computed with coreutils md5sum.
        assert_eq!(
            hex(&ClientConfig::default()),
            "9fa53af9421567b114e33c9bb1ef7db2"
        );
        let config = ClientConfig {
            web_version: [2, 2413, 1],
            ..ClientConfig::default()
        };
        assert_eq!(hex(&config), "279e9392fcecafa5fe281505ea067ef3");
    }

    #[test]
    fn registration_payload_fields() {
        let creds = Credentials::generate(1, &mut ChaCha20Rng::seed_from_u64(2));
        let config = ClientConfig::default();
        let payload = config.registration_payload(&creds);
        let data = payload.device_pairing_data.clone().unwrap();
        assert_eq!(
            data.e_regid.unwrap(),
            creds.registration_id.0.to_be_bytes().to_vec()
        );
        assert_eq!(data.e_skey_id.unwrap(), vec![0, 0, 1]);
        assert_eq!(
            data.e_ident.unwrap(),
            creds
                .identity
                .identity_key()
                .public_key()
                .as_bytes()
                .to_vec()
        );
        assert_eq!(data.e_skey_sig.unwrap().len(), 64);
        assert_eq!(data.build_hash.unwrap(), config.build_hash().to_vec());
        let props = DeviceProps::decode(data.device_props.unwrap().as_slice()).unwrap();
        assert_eq!(props.os(), "wa-session");
        assert_eq!(payload.pull, Some(false));
        assert_eq!(payload.username, None);
        let agent = payload.user_agent.unwrap();
        assert_eq!(agent.platform(), Platform::Web);
        assert_eq!(agent.app_version.unwrap().tertiary, Some(1_045_649_367));
    }

    #[test]
    fn login_payload_needs_a_phone_number_device() {
        let config = ClientConfig::default();
        let payload = config
            .login_payload(&Jid::parse("15550001111:2@s.whatsapp.net").unwrap())
            .unwrap();
        assert_eq!(payload.lid_db_migrated, Some(true));
        assert_eq!(payload.passive, Some(true));
        assert_eq!(payload.device_pairing_data, None);
        for bad in ["123:2@lid", "120363@g.us"] {
            assert_eq!(
                config.login_payload(&Jid::parse(bad).unwrap()),
                Err(PairingError::DeviceJid),
                "{bad}"
            );
        }
    }
}
