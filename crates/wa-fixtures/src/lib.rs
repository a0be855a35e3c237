//! Golden-vector replay: detects a fixture file's kind and replays every case against our codecs.
