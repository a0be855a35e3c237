//! WAProto protobuf messages used by the engine, generated with prost from our own .proto files.
