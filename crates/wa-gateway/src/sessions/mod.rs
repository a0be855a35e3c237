//! The sessions manager: many engine sessions in one process, each owned by an
//! organization. It pairs new ones (`Session::pair`), starts the paired ones again when the
//! gateway starts (`Session::start`), logs them out, and runs one task per session that turns
//! its events into rows and webhook events ([`events`]).

mod chats;
mod events;
mod payloads;
mod receipts;
mod record;
mod send;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use wa_binary::Jid;
use wa_session::{Event, QrCode, Session, SessionConfig};
use wa_store::{DeviceId, StoreHandle};

use crate::db::{self, Db, SessionRecord, SessionStatus};
use crate::error::{Error, Result};
use crate::ids::{OrgId, SessionId};
use crate::metrics::Metrics;
use crate::sink::{EventSink, GatewayEvent};

pub use send::{Origin, Sent};

/// How long `create` waits for the first QR code.
const FIRST_QR_TIMEOUT: Duration = Duration::from_secs(30);

/// What the manager shares with its tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) db: Db,
    store: StoreHandle,
    config: SessionConfig,
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) metrics: Arc<Metrics>,
    sessions: Mutex<HashMap<SessionId, Arc<Entry>>>,
    early_receipts: receipts::EarlyReceipts,
}

/// One session as the manager holds it.
#[derive(Debug)]
pub struct Entry {
    /// The session.
    pub id: SessionId,
    /// Its owner.
    pub org: OrgId,
    /// When it was created (unix seconds).
    pub created_at: i64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    status: Option<SessionStatus>,
    session: Option<Session>,
    qr: Option<QrCode>,
    device: Option<DeviceId>,
    jid: Option<Jid>,
    lid: Option<Jid>,
    logged_out: bool,
    tasks: Vec<JoinHandle<()>>,
}

impl Entry {
    fn new(record: &SessionRecord) -> Self {
        Self {
            id: record.id.clone(),
            org: record.org.clone(),
            created_at: record.created_at,
            state: Mutex::new(State {
                status: Some(record.status),
                device: record.device,
                jid: record.jid.as_deref().and_then(|j| j.parse().ok()),
                ..State::default()
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave it half-updated in a way that matters
        // more than refusing every later request, so the poison is ignored.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current status.
    #[must_use]
    pub fn status(&self) -> SessionStatus {
        self.state().status.unwrap_or(SessionStatus::Disconnected)
    }

    /// The QR code to show while pairing.
    #[must_use]
    pub fn qr(&self) -> Option<QrCode> {
        let state = self.state();
        (state.status == Some(SessionStatus::Pairing))
            .then(|| state.qr.clone())
            .flatten()
    }

    /// Our device JID and LID, once paired.
    #[must_use]
    pub fn jids(&self) -> (Option<Jid>, Option<Jid>) {
        let state = self.state();
        (state.jid.clone(), state.lid.clone())
    }

    /// The running engine session.
    ///
    /// # Errors
    /// [`Error::Disconnected`] while pairing, after logout, or when it could not start.
    pub fn session(&self) -> Result<Session> {
        self.state().session.clone().ok_or(Error::Disconnected)
    }
}

/// Whether a logout reached the WhatsApp server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// The server unlinked the device.
    ServerNotified,
    /// The session was cleared here only, for this reason (e.g. `disconnected`).
    NotNotified(&'static str),
}

/// The sessions of this gateway process.
#[derive(Debug, Clone)]
pub struct SessionManager {
    shared: Arc<Shared>,
}

impl SessionManager {
    /// A manager over the gateway tables in `db` and the engine's keys in `store` (the same
    /// file); new sessions connect with `config`.
    #[must_use]
    pub fn new(
        db: Db,
        store: StoreHandle,
        config: SessionConfig,
        sink: Arc<dyn EventSink>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                db,
                store,
                config,
                sink,
                metrics,
                sessions: Mutex::default(),
                early_receipts: receipts::EarlyReceipts::default(),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<SessionId, Arc<Entry>>> {
        self.shared
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Loads every session and starts the paired ones again; a session left pairing by the
    /// previous run is logged out (its QR codes died with that process). Returns how many
    /// were started.
    ///
    /// # Errors
    /// Database errors.
    pub async fn restore(&self) -> Result<usize> {
        let records = self.shared.db.call(|conn| db::sessions::all(conn)).await?;
        let mut started = 0;
        for record in records {
            let entry = Arc::new(Entry::new(&record));
            self.sessions()
                .insert(record.id.clone(), Arc::clone(&entry));
            match (record.device, record.status) {
                (_, SessionStatus::LoggedOut) => {}
                (None, _) => {
                    entry.state().status = Some(SessionStatus::LoggedOut);
                    let id = record.id.clone();
                    self.shared
                        .db
                        .call(move |conn| {
                            db::sessions::set_status(conn, &id, SessionStatus::LoggedOut)
                        })
                        .await?;
                }
                (Some(device), _) => {
                    if let Err(error) = self.start(&entry, device).await {
                        tracing::warn!(session = %record.id, %error, "session did not start");
                        events::set_status(&self.shared, &entry, SessionStatus::Disconnected).await;
                    } else {
                        started += 1;
                    }
                }
            }
        }
        Ok(started)
    }

    async fn start(&self, entry: &Arc<Entry>, device: DeviceId) -> Result<()> {
        let (session, events) = Session::start(
            self.shared.config.clone(),
            self.shared.store.clone(),
            device,
        )
        .await?;
        {
            let mut state = entry.state();
            state.session = Some(session);
        }
        events::set_status(&self.shared, entry, SessionStatus::Connecting).await;
        self.consume(entry, events);
        Ok(())
    }

    fn consume(&self, entry: &Arc<Entry>, events: UnboundedReceiver<Event>) {
        let task = tokio::spawn(events::consume(
            Arc::clone(&self.shared),
            Arc::clone(entry),
            events,
        ));
        entry.state().tasks.push(task);
    }

    /// Creates a session of `org` and starts pairing it: returns the session and the first
    /// QR code's text (later ones replace it; read them with [`Entry::qr`]).
    ///
    /// # Errors
    /// [`Error::SendFailed`] when the server cannot be reached or gives no QR code in time;
    /// database and store errors.
    pub async fn create(&self, org: &OrgId) -> Result<(Arc<Entry>, QrCode)> {
        let id = SessionId::generate();
        let (insert_id, insert_org) = (id.clone(), org.clone());
        self.shared
            .db
            .call(move |conn| {
                db::sessions::insert(conn, &insert_id, &insert_org, SessionStatus::Pairing)
            })
            .await?;
        let record = SessionRecord {
            id: id.clone(),
            org: org.clone(),
            device: None,
            status: SessionStatus::Pairing,
            jid: None,
            created_at: db::now_secs(),
        };
        let entry = Arc::new(Entry::new(&record));
        self.sessions().insert(id.clone(), Arc::clone(&entry));
        match self.pair(&entry).await {
            Ok(qr) => {
                self.shared
                    .sink
                    .deliver(events::status_event(&entry, SessionStatus::Pairing))
                    .await;
                Ok((entry, qr))
            }
            Err(error) => {
                events::set_status(&self.shared, &entry, SessionStatus::LoggedOut).await;
                Err(error)
            }
        }
    }

    async fn pair(&self, entry: &Arc<Entry>) -> Result<QrCode> {
        let (pairing, mut events) =
            Session::pair(self.shared.config.clone(), self.shared.store.clone()).await?;
        let first = tokio::time::timeout(FIRST_QR_TIMEOUT, async {
            loop {
                match events.recv().await {
                    Some(Event::Qr { code }) => return Ok(code),
                    Some(Event::PairingFailed { reason }) => {
                        return Err(Error::SendFailed(format!("pairing failed: {reason}")))
                    }
                    Some(_) => {}
                    None => return Err(Error::SendFailed("pairing stopped".into())),
                }
            }
        })
        .await
        .map_err(|_| Error::SendFailed("no QR code from the server in time".into()))??;
        entry.state().qr = Some(first.clone());
        let waiter = {
            let entry = Arc::clone(entry);
            tokio::spawn(async move {
                if let Ok(session) = pairing.session().await {
                    let mut state = entry.state();
                    if state.logged_out {
                        session.stop();
                    } else {
                        state.session = Some(session);
                    }
                }
            })
        };
        entry.state().tasks.push(waiter);
        self.consume(entry, events);
        Ok(first)
    }

    /// The session `id` if `org` owns it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or another organization owns it.
    pub fn get(&self, org: &OrgId, id: &str) -> Result<Arc<Entry>> {
        let id = SessionId::parse(id).ok_or(Error::NotFound("session"))?;
        match self.sessions().get(&id) {
            Some(entry) if entry.org == *org => Ok(Arc::clone(entry)),
            _ => Err(Error::NotFound("session")),
        }
    }

    /// The sessions `org` owns, oldest first.
    #[must_use]
    pub fn list(&self, org: &OrgId) -> Vec<Arc<Entry>> {
        let mut list: Vec<Arc<Entry>> = self
            .sessions()
            .values()
            .filter(|entry| entry.org == *org)
            .cloned()
            .collect();
        list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        list
    }

    /// Logs `entry` out: asks the server to unlink the device when the session is connected,
    /// stops it (or abandons its pairing), forgets its credentials in the engine's store and
    /// marks it `logged_out`. Its messages stay readable. Without a connection (or when the
    /// server does not confirm) the session is cleared here all the same and the outcome
    /// says the server was not told: the device stays linked until removed from the phone.
    ///
    /// # Errors
    /// Database and store errors.
    pub async fn logout(&self, entry: &Arc<Entry>) -> Result<LogoutOutcome> {
        let (running, paired) = {
            let state = entry.state();
            (state.session.clone(), state.device.is_some())
        };
        let outcome = match running {
            Some(session) => match session.logout().await {
                Ok(()) => LogoutOutcome::ServerNotified,
                Err(error) => {
                    tracing::info!(session = %entry.id, %error, "the server was not told of the logout");
                    LogoutOutcome::NotNotified(match error {
                        wa_session::Error::Disconnected => "disconnected",
                        wa_session::Error::Timeout => "no answer from the server",
                        _ => "the server refused the unlink",
                    })
                }
            },
            None if paired => LogoutOutcome::NotNotified("not connected"),
            // Pairing (or never paired): no device is linked, there is nothing to unlink.
            None => LogoutOutcome::NotNotified("not paired"),
        };
        let device = {
            let mut state = entry.state();
            state.logged_out = true;
            if let Some(session) = state.session.take() {
                session.stop();
            }
            for task in state.tasks.drain(..) {
                task.abort();
            }
            state.qr = None;
            state.device.take()
        };
        if let Some(device) = device {
            self.shared
                .store
                .call(move |store| store.delete_device(device))
                .await??;
        }
        let id = entry.id.clone();
        self.shared
            .db
            .call(move |conn| db::sessions::set_device(conn, &id, None, None))
            .await?;
        events::set_status(&self.shared, entry, SessionStatus::LoggedOut).await;
        Ok(outcome)
    }

    /// How many sessions are in each state (every state listed).
    #[must_use]
    pub fn status_counts(&self) -> Vec<(&'static str, u64)> {
        let sessions = self.sessions();
        SessionStatus::ALL
            .into_iter()
            .map(|status| {
                let count = sessions.values().filter(|e| e.status() == status).count();
                (status.as_str(), u64::try_from(count).unwrap_or(u64::MAX))
            })
            .collect()
    }

    /// Stops every session (the gateway is shutting down); their status stays as it is so
    /// that they start again next time.
    pub fn stop_all(&self) {
        for entry in self.sessions().values() {
            let mut state = entry.state();
            if let Some(session) = state.session.take() {
                session.stop();
            }
            for task in state.tasks.drain(..) {
                task.abort();
            }
        }
    }
}

impl Shared {
    /// Emits `event` to the sink.
    pub(crate) async fn emit(&self, event: GatewayEvent) {
        self.sink.deliver(event).await;
    }
}
