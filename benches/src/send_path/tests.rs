use super::*;

#[test]
fn one_to_one_sends_msg_to_every_other_device() {
    let mut one = SendPath::new(Scenario::OneToOneOneDevice, 1).unwrap();
    assert_eq!(one.floor_spec().pairwise.len(), 1);
    let mut three = SendPath::new(Scenario::OneToOneThreeDevices, 2).unwrap();
    assert_eq!(three.floor_spec().pairwise.len(), 3);
    for _ in 0..3 {
        assert!(one.send().unwrap() > one.floor_spec().frame);
        assert!(three.send().unwrap() > three.floor_spec().frame);
    }
}

#[test]
fn group_scenarios_reach_their_state() {
    let steady = SendPath::new(Scenario::GroupSteady { devices: 4 }, 3).unwrap();
    assert!(steady.floor_spec().pairwise.is_empty());
    assert!(steady.floor_spec().sender_key.is_some());
    let mut first = SendPath::new(Scenario::GroupFirst { devices: 5 }, 4).unwrap();
    assert_eq!(first.floor_spec().pairwise.len(), 5);
    assert!(first.floor_spec().new_sender_key);
    // Each send distributes a new key again.
    let a = first.send().unwrap();
    let b = first.send().unwrap();
    assert!(a.abs_diff(b) < 64);
}

#[test]
fn floor_runs_every_part() {
    let mut floor = Floor::new(&FloorSpec {
        pairwise: vec![70, 150],
        sender_key: Some(70),
        new_sender_key: true,
        frame: 300,
    });
    assert!(floor.run() >= 300);
}

#[test]
fn names_are_stable() {
    let names: Vec<String> = Scenario::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "1to1-1dev",
            "1to1-3dev",
            "group-steady-10dev",
            "group-steady-1000dev",
            "group-first-1000dev"
        ]
    );
}
