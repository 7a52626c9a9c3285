//! The canonical layout on small inputs: order, indentation, quoting, comments kept, and the
//! constructs refused.

use super::format;

#[test]
fn keys_follow_the_schema_and_indentation_becomes_two_spaces() {
    let input = "\
channel_configurations:
    -   status: draft   # not yet
        channel: whatsapp
        name: Winter
version: 1
";
    let expected = "\
version: 1
channel_configurations:
  - name: Winter
    channel: whatsapp
    status: draft # not yet
";
    assert_eq!(format(input).unwrap(), expected);
}

#[test]
fn ids_the_schema_wants_as_strings_are_quoted_and_nothing_else() {
    let input = "\
version: 1
safety:
  min_managed: 8
credentials:
  - name: a
    token: env:T
    business_id: 1234567890123456
    whatsapp_business_account: '102290129340398'
    phone_number: 15550100001
";
    let out = format(input).unwrap();
    assert!(out.contains("business_id: \"1234567890123456\""), "{out}");
    assert!(out.contains("phone_number: \"15550100001\""), "{out}");
    // Already a string: kept as written.
    assert!(
        out.contains("whatsapp_business_account: '102290129340398'"),
        "{out}"
    );
    // An integer where the schema wants one stays a number.
    assert!(out.contains("min_managed: 8\n"), "{out}");
}

#[test]
fn a_null_stays_a_null_where_the_schema_wants_a_string() {
    // In an overlay `key: null` removes the field; quoting it would set it to "null".
    let input = "\
version: 1
channel_configurations:
  - name: Service_FR
    execution_field: null
    sender_name: ~
";
    let out = format(input).unwrap();
    assert!(out.contains("execution_field: null\n"), "{out}");
    assert!(out.contains("sender_name: ~\n"), "{out}");
}

#[test]
fn comments_and_single_blank_lines_move_with_their_entry() {
    let input = "\
# head comment

state:
  backend: local


# about the version
version: 1 # trailing
";
    let expected = "\
# head comment

# about the version
version: 1 # trailing

state:
  backend: local
";
    assert_eq!(format(input).unwrap(), expected);
}

#[test]
fn block_scalars_and_flow_collections_are_kept() {
    let input = "\
version: 1
channel_configurations:
- name: A
  description: |
      line one

      line two
  marketing_actions: [a, b]
";
    let expected = "\
version: 1
channel_configurations:
  - name: A
    description: |
      line one

      line two
    marketing_actions: [a, b]
";
    assert_eq!(format(input).unwrap(), expected);
}

#[test]
fn formatting_twice_changes_nothing() {
    let input = "version: 1\nchannel_configurations:\n- {name: A, channel: whatsapp}\n";
    let once = format(input).unwrap();
    assert_eq!(format(&once).unwrap(), once);
}

#[test]
fn unsafe_constructs_are_refused_with_their_line() {
    let cases = [
        ("version: 1\nx: &a 1\ny: *a\n", 2, "anchors"),
        ("version: 1\nmarketing_actions: [a, # c\n  b]\n", 2, "flow"),
        ("version: 1\ndescription: one\n  two\n", 3, "multi-line"),
        ("---\nversion: 1\n", 1, "document"),
        ("version: !!int 1\n", 1, "tags"),
        ("version: 1\nx: \"open\n  close\"\n", 2, "several lines"),
        ("version: 1\nx: |2\n   a\n", 2, "indentation indicator"),
    ];
    for (input, line, words) in cases {
        let err = format(input).expect_err(input);
        assert_eq!(err.line, line, "{input}: {err:?}");
        assert!(err.message.contains(words), "{input}: {err:?}");
    }
}
