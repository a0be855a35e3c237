//! Helpers shared by the session's integration tests: a companion of a simulated account,
//! registered from fresh credentials, countersigned as pairing does, saved in an in-memory
//! store, and its session started against the simulator.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rand_core::OsRng;
use tokio::sync::mpsc::UnboundedReceiver;
use wa_binary::Jid;
use wa_noise::CertVerifier;
use wa_proto::adv::AdvSignedDeviceIdentity;
use wa_session::{save_paired, Credentials, Event, Paired, Session, SessionConfig};
use wa_signal::IdentityKeyPair;
use wa_sim::{
    unix_now, Account, DeviceInfo, DeviceRegistration, RunningSimulator, SignedPreKeyPublic,
    Simulator,
};
use wa_store::{DeviceId, StoreHandle};

/// Every wait is bounded, so a bug fails the test instead of hanging it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// A running session of a companion device.
pub(crate) struct Companion {
    pub(crate) session: Session,
    pub(crate) events: UnboundedReceiver<Event>,
    pub(crate) info: DeviceInfo,
}

/// A companion registered on `account` and saved in a fresh in-memory store as a paired
/// device (not started).
pub(crate) async fn paired_device(
    sim: &Simulator,
    account: &Account,
) -> (StoreHandle, DeviceId, DeviceInfo) {
    let store = StoreHandle::open_in_memory().await.unwrap();
    let (device, info) = paired_device_in(sim, account, &store).await;
    (store, device, info)
}

/// A companion registered on `account` and saved in `store` as a paired device.
pub(crate) async fn paired_device_in(
    sim: &Simulator,
    account: &Account,
    store: &StoreHandle,
) -> (DeviceId, DeviceInfo) {
    let creds = Credentials::generate(unix_now(), &mut OsRng);
    let signed = &creds.signed_pre_key;
    let info = sim
        .register_device(
            &account.jid,
            DeviceRegistration {
                noise_key: *creds.noise_key.public_key(),
                identity_key: creds.identity.identity_key(),
                registration_id: creds.registration_id,
                signed_pre_key: SignedPreKeyPublic {
                    id: signed.id(),
                    public_key: *signed.key_pair().public_key(),
                    signature: *signed.signature(),
                },
                pre_keys: Vec::new(),
            },
        )
        .unwrap();
    let adv = countersigned_identity(sim, &info.jid, &creds.identity);
    let paired = Paired {
        jid: info.jid.clone(),
        lid: Some(info.lid.clone()),
        platform: Some("android".to_owned()),
        business_name: None,
        key_index: u32::from(info.jid.device()),
        server_time: None,
        account: adv,
    };
    let device = store
        .call(move |store| save_paired(store, &creds, &paired))
        .await
        .unwrap()
        .unwrap();
    (device, info)
}

/// Registers a companion on `account`, saves it as a paired device, starts its session and
/// waits for `Connected`.
pub(crate) async fn companion(
    sim: &Simulator,
    running: &RunningSimulator,
    account: &Account,
    seed: u64,
) -> Companion {
    let (store, device, info) = paired_device(sim, account).await;
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.seed = Some(seed);
    config.iq_timeout = Duration::from_secs(10);
    let (session, mut events) = Session::start(config, store, device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;
    Companion {
        session,
        events,
        info,
    }
}

/// The simulator's account-signed identity of `device`, countersigned by the device's
/// identity key as pairing does (the account signature key stays in; peers get it without).
pub(crate) fn countersigned_identity(
    sim: &Simulator,
    device: &Jid,
    identity: &IdentityKeyPair,
) -> AdvSignedDeviceIdentity {
    sim.countersigned_identity(device, identity, &mut OsRng)
        .unwrap()
}

/// Skips events until one matches `wanted`, within [`TIMEOUT`].
pub(crate) async fn expect(
    events: &mut UnboundedReceiver<Event>,
    wanted: impl Fn(&Event) -> bool,
) -> Event {
    loop {
        let event = tokio::time::timeout(TIMEOUT, events.recv())
            .await
            .expect("no matching event in time")
            .expect("the session ended");
        if wanted(&event) {
            return event;
        }
    }
}
