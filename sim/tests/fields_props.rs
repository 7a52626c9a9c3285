//! Properties of the `fields=` parser: it never panics, and rendering a parsed selection
//! gives back a selection that parses to the same thing.

use proptest::prelude::*;
use wacfg_sim::fields::{Field, parse, render};

fn field() -> impl Strategy<Value = Field> {
    let leaf = ("[a-z_]{1,12}", proptest::option::of(1usize..200)).prop_map(|(name, limit)| {
        let mut f = Field::plain(&name);
        f.limit = limit;
        f
    });
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            "[a-z_]{1,12}",
            proptest::option::of(1usize..200),
            prop::collection::vec(inner, 1..4),
        )
            .prop_map(|(name, limit, sub)| {
                let mut f = Field::plain(&name);
                f.limit = limit;
                f.sub = Some(sub);
                f
            })
    })
}

proptest! {
    #[test]
    fn parse_never_panics(text in "[a-z_,{}().0-9 ]{0,60}") {
        let _ = parse(&text);
    }

    #[test]
    fn render_then_parse_is_identity(fields in prop::collection::vec(field(), 1..5)) {
        let text = render(&fields);
        prop_assert_eq!(parse(&text).expect("rendered selections parse"), fields);
    }
}
