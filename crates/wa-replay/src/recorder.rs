//! The engine-side tap: every frame of every connection the engine opens, kept with its
//! decoded node, for the transcript (recording) and for the actual side of a mismatch
//! (replaying); and what the driver waits on (quiet periods, a node seen).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use wa_binary::Node;
use wa_transport::{Direction, FrameTap};

use crate::transcript::{Connection, Dir, Entry, Frame};

/// One tapped frame.
#[derive(Debug, Clone)]
pub(crate) struct Tapped {
    pub(crate) dir: Dir,
    pub(crate) bytes: Vec<u8>,
    pub(crate) node: Option<Node<'static>>,
}

/// One item of a connection as tapped.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Frame(Tapped),
    Checkpoint(u32),
}

#[derive(Debug)]
struct State {
    connections: Vec<Vec<Item>>,
    last_activity: Instant,
}

/// The tap the recording and the replaying engine run with.
#[derive(Debug)]
pub(crate) struct Recorder {
    state: Mutex<State>,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                connections: Vec::new(),
                last_activity: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long no frame went by.
    pub(crate) fn quiet_for(&self) -> std::time::Duration {
        self.lock().last_activity.elapsed()
    }

    /// Marks a checkpoint in the current connection.
    pub(crate) fn checkpoint(&self, number: u32) {
        if let Some(items) = self.lock().connections.last_mut() {
            items.push(Item::Checkpoint(number));
        }
    }

    /// The number of connections so far.
    pub(crate) fn connections(&self) -> usize {
        self.lock().connections.len()
    }

    /// How many frames of `dir` connection `index` has had.
    pub(crate) fn count(&self, index: usize, dir: Dir) -> usize {
        self.lock().connections.get(index).map_or(0, |items| {
            items
                .iter()
                .filter(|item| matches!(item, Item::Frame(frame) if frame.dir == dir))
                .count()
        })
    }

    /// The `n`-th frame of `dir` on connection `index`, if there was one.
    pub(crate) fn nth(&self, index: usize, dir: Dir, n: usize) -> Option<Tapped> {
        self.lock().connections.get(index).and_then(|items| {
            items
                .iter()
                .filter_map(|item| match item {
                    Item::Frame(frame) if frame.dir == dir => Some(frame.clone()),
                    _ => None,
                })
                .nth(n)
        })
    }

    /// The first node of the current connection for which `wanted` holds.
    pub(crate) fn find_node(
        &self,
        wanted: impl Fn(Dir, &Node<'_>) -> bool,
    ) -> Option<Node<'static>> {
        self.lock().connections.last().and_then(|items| {
            items.iter().find_map(|item| match item {
                Item::Frame(Tapped {
                    dir,
                    node: Some(node),
                    ..
                }) if wanted(*dir, node) => Some(node.clone()),
                _ => None,
            })
        })
    }

    /// Whether the current connection has a node for which `wanted` holds.
    pub(crate) fn any_node(&self, wanted: impl Fn(Dir, &Node<'_>) -> bool) -> bool {
        self.lock().connections.last().is_some_and(|items| {
            items.iter().any(|item| match item {
                Item::Frame(Tapped {
                    dir,
                    node: Some(node),
                    ..
                }) => wanted(*dir, node),
                _ => false,
            })
        })
    }

    /// The transcript's connections (each opened with `intro`).
    pub(crate) fn transcript_connections(&self, intro: &[u8]) -> Vec<Connection> {
        self.lock()
            .connections
            .iter()
            .map(|items| Connection {
                intro: hex::encode(intro),
                entries: items.iter().map(entry).collect(),
            })
            .collect()
    }
}

fn entry(item: &Item) -> Entry {
    match item {
        Item::Frame(tapped) => Entry::Frame(Frame {
            dir: tapped.dir,
            frame: hex::encode(&tapped.bytes),
            node: tapped.node.as_ref().map(ToString::to_string),
        }),
        Item::Checkpoint(number) => Entry::Checkpoint {
            checkpoint: *number,
        },
    }
}

impl FrameTap for Recorder {
    fn connection_started(&self) {
        let mut state = self.lock();
        state.connections.push(Vec::new());
        state.last_activity = Instant::now();
    }

    fn frame(&self, direction: Direction, frame: &[u8], node: Option<&Node<'_>>) {
        let dir = match direction {
            Direction::Sent => Dir::Out,
            Direction::Received => Dir::In,
        };
        let tapped = Tapped {
            dir,
            bytes: frame.to_vec(),
            node: node.map(|node| node.clone().into_owned()),
        };
        let mut state = self.lock();
        if state.connections.is_empty() {
            state.connections.push(Vec::new());
        }
        if let Some(items) = state.connections.last_mut() {
            items.push(Item::Frame(tapped));
        }
        state.last_activity = Instant::now();
    }
}
