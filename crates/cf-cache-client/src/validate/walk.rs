//! Checks a request value against its [`Rule`] while serialising it, and reports the first
//! violation.
//!
//! Values are checked in their wire form (what `serde_json` would send), so a rule written
//! against JSON property names applies whatever Rust names typify chose, and enums of forms
//! (the purge body) are checked by the same `oneOf` logic the spec describes. The value is
//! never built as a `serde_json::Value`: the checker is a `serde::Serializer` that looks at
//! each string, number, list and object as it goes by, so a valid request costs no allocation,
//! and the place of a value (`body.files[3]`) is only written out when it is refused.

use std::fmt::{self, Display, Write as _};

use serde::Serialize;
use serde::ser::{
    self, Impossible, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant,
};

use super::formats;
use super::rule::{Property, Rule};

/// Why a value is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Violation {
    /// Path from the root, e.g. `body.files[3]`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
    /// A wrong shape (missing property, wrong JSON type) rather than a broken limit: when
    /// no member of a `oneOf` fits, a broken limit says more about what the caller meant.
    pub shape: bool,
}

/// Why a check stopped. Boxed, so that `Result<(), Stop>` fits in two registers: it is
/// returned once per value checked, nearly always as `Ok`.
#[derive(Debug)]
pub(super) enum Stop {
    /// The value breaks a rule.
    Refused(Box<Violation>),
    /// The value cannot be written as JSON at all (its `Serialize` impl failed).
    #[allow(
        clippy::box_collection,
        reason = "a thin pointer keeps `Result<(), Stop>` at two words"
    )]
    Json(Box<String>),
}

impl Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Refused(v) => write!(f, "{}: {}", v.field, v.reason),
            Stop::Json(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: Display>(message: T) -> Self {
        Stop::Json(Box::new(message.to_string()))
    }
}

/// Where a value sits: built on the stack while descending, written out only on refusal.
#[derive(Clone, Copy)]
pub(super) enum Place<'a> {
    /// The root, named by the caller (`body`, `zone_id`).
    Root(&'a str),
    /// A property of an object.
    Key(&'a Place<'a>, &'a str),
    /// An item of an array.
    Index(&'a Place<'a>, usize),
}

impl Place<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Place::Root(name) => out.push_str(name),
            Place::Key(parent, key) => {
                parent.write(out);
                out.push('.');
                out.push_str(key);
            }
            Place::Index(parent, i) => {
                parent.write(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

#[cold]
fn refuse(place: Place<'_>, reason: String, shape: bool) -> Stop {
    Stop::Refused(Box::new(Violation {
        field: place.render(),
        reason,
        shape,
    }))
}

/// Checks `value` against `rule`; `place` names it in the report.
///
/// Inlined: it runs once per array item, and most items meet a plain string or number rule;
/// the combinators stay out of line so that path stays short.
#[inline]
pub(super) fn check<T: Serialize + ?Sized>(rule: &Rule, value: &T, place: Place<'_>) -> Result<(), Stop> {
    match rule {
        Rule::Any => Ok(()),
        Rule::Nullable { .. } | Rule::AllOf { .. } | Rule::OneOf { .. } | Rule::AnyOf { .. } => {
            combinator(rule, value, place)
        }
        leaf => value.serialize(Checker { rule: leaf, place }),
    }
}

#[inline(never)]
fn combinator<T: Serialize + ?Sized>(rule: &Rule, value: &T, place: Place<'_>) -> Result<(), Stop> {
    match rule {
        Rule::Nullable { inner } => {
            if is_null(value) {
                Ok(())
            } else {
                check(inner, value, place)
            }
        }
        Rule::AllOf { members } => members.iter().try_for_each(|m| check(m, value, place)),
        Rule::OneOf { members } | Rule::AnyOf { members } => {
            // First pass, for the usual case where a member holds: members the value cannot
            // satisfy for want of a required key (the other forms of a one-key union) are
            // skipped without building their refusals.
            for member in *members {
                if lacks_required_key(member, value) {
                    continue;
                }
                match check(member, value, place) {
                    Ok(()) => return Ok(()),
                    Err(Stop::Refused(_)) => {}
                    Err(other) => return Err(other),
                }
            }
            // Nothing holds: every member again, in order, for the most telling refusal.
            let mut best: Option<Box<Violation>> = None;
            for member in *members {
                match check(member, value, place) {
                    Ok(()) => return Ok(()),
                    Err(Stop::Refused(v)) => {
                        if best.as_ref().is_none_or(|b| better(&v, b)) {
                            best = Some(v);
                        }
                    }
                    Err(other) => return Err(other),
                }
            }
            best.map_or(Ok(()), |v| Err(Stop::Refused(v)))
        }
        leaf => value.serialize(Checker { rule: leaf, place }),
    }
}

/// The item rules of every form of a body (`oneOf`/`anyOf`/`allOf` member, or the object
/// itself) that declares `key` as a list, in the spec's order.
pub(super) fn list_item_rules(rule: &'static Rule, key: &str, out: &mut Vec<&'static Rule>) {
    match rule {
        Rule::OneOf { members } | Rule::AnyOf { members } | Rule::AllOf { members } => {
            for member in *members {
                list_item_rules(member, key, out);
            }
        }
        Rule::Nullable { inner } => list_item_rules(inner, key, out),
        Rule::Object { properties } => out.extend(properties.iter().filter_map(|p| match p.rule {
            Rule::Array { items, .. } if p.name == key => Some(*items),
            _ => None,
        })),
        _ => {}
    }
}

/// Checks `item` as element 0 of the list property `key` against `candidates` (from
/// [`list_item_rules`]): the first that accepts it wins; otherwise the most telling refusal,
/// by the same ordering as `oneOf`.
#[inline]
pub(super) fn check_list_item<T: Serialize + ?Sized>(
    candidates: &[&Rule],
    key: &str,
    item: &T,
) -> Result<(), Stop> {
    let root = Place::Root("body");
    let field = Place::Key(&root, key);
    let place = Place::Index(&field, 0);
    let mut best: Option<Box<Violation>> = None;
    for items in candidates {
        match check(items, item, place) {
            Ok(()) => return Ok(()),
            Err(Stop::Refused(v)) => {
                if best.as_ref().is_none_or(|b| better(&v, b)) {
                    best = Some(v);
                }
            }
            Err(other) => return Err(other),
        }
    }
    best.map_or(Ok(()), |v| Err(Stop::Refused(v)))
}

/// Whether `a` explains a failed `oneOf` better than `b`: a broken limit beats a wrong shape,
/// then the deeper place wins (it got further into the value).
fn better(a: &Violation, b: &Violation) -> bool {
    match (a.shape, b.shape) {
        (false, true) => true,
        (true, false) => false,
        _ => a.field.len() > b.field.len(),
    }
}

/// The value quoted for a message, cut short so a 10 kB tag does not flood a log.
fn preview(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// The JSON kinds, as messages name them.
const NULL: &str = "null";
const BOOLEAN: &str = "a boolean";
const NUMBER: &str = "a number";
const STRING: &str = "a string";
const ARRAY: &str = "an array";
const OBJECT: &str = "an object";

/// Checks one value against a rule that is not a combinator: a string, number, array or
/// object rule.
struct Checker<'r, 'p> {
    rule: &'r Rule,
    place: Place<'p>,
}

impl<'r, 'p> Checker<'r, 'p> {
    /// The refusal of a value of the wrong JSON kind.
    fn wrong(&self, found: &str) -> Stop {
        let expected = match self.rule {
            Rule::String { .. } => STRING,
            Rule::Number { .. } => NUMBER,
            Rule::Array { .. } => ARRAY,
            _ => OBJECT,
        };
        refuse(self.place, format!("expected {expected}, found {found}"), true)
    }

    /// Inlined with the fast format checks: every URL of a purge comes through here, and
    /// the refusals, which need formatting, live out of line in `string_refusal`.
    #[inline]
    fn string(&self, text: &str) -> Result<(), Stop> {
        let Rule::String {
            min_length,
            max_length,
            pattern,
            format,
        } = self.rule
        else {
            return Err(self.wrong(STRING));
        };
        // A string has between len / 4 and len characters: count them only when those
        // bounds leave the answer open.
        let bytes = text.len() as u64;
        let open = max_length.is_some_and(|max| bytes > max)
            || min_length.is_some_and(|min| bytes.div_ceil(4) < min);
        let format_ok = format.is_none_or(|f| formats::accepts(f, text));
        if open || !format_ok || pattern.is_some() {
            self.string_refusal(text)
        } else {
            Ok(())
        }
    }

    /// The full string check, with the refusal it leads to; `string` takes it whenever the
    /// quick checks cannot vouch for the value.
    #[inline(never)]
    fn string_refusal(&self, text: &str) -> Result<(), Stop> {
        let Rule::String {
            min_length,
            max_length,
            pattern,
            format,
        } = self.rule
        else {
            return Err(self.wrong(STRING));
        };
        if min_length.is_some() || max_length.is_some() {
            let chars = text.chars().count() as u64;
            if let Some(min) = min_length
                && chars < *min
            {
                let reason = format!("{} is shorter than {min} characters", preview(text));
                return Err(refuse(self.place, reason, false));
            }
            if let Some(max) = max_length
                && chars > *max
            {
                let reason = format!(
                    "{} is {chars} characters long; at most {max} allowed",
                    preview(text)
                );
                return Err(refuse(self.place, reason, false));
            }
        }
        if let Some(format) = format
            && let Err(reason) = formats::check(*format, text)
        {
            return Err(refuse(self.place, format!("{} {reason}", preview(text)), false));
        }
        if let Some(pattern) = pattern
            && !pattern.is_match(text)
        {
            let reason = format!(
                "{} does not match the pattern `{}`",
                preview(text),
                pattern.source()
            );
            return Err(refuse(self.place, reason, false));
        }
        Ok(())
    }

    /// A number, as `n` and as JSON would write it.
    fn number(&self, n: f64, shown: serde_json::Number) -> Result<(), Stop> {
        let Rule::Number {
            minimum,
            maximum,
            exclusive_minimum,
            exclusive_maximum,
        } = self.rule
        else {
            return Err(self.wrong(NUMBER));
        };
        if let Some(min) = minimum
            && (n < *min || (*exclusive_minimum && n == *min))
        {
            let bound = if *exclusive_minimum {
                "more than"
            } else {
                "at least"
            };
            return Err(refuse(
                self.place,
                format!("is {shown}; must be {bound} {min}"),
                false,
            ));
        }
        if let Some(max) = maximum
            && (n > *max || (*exclusive_maximum && n == *max))
        {
            let bound = if *exclusive_maximum {
                "less than"
            } else {
                "at most"
            };
            return Err(refuse(
                self.place,
                format!("is {shown}; must be {bound} {max}"),
                false,
            ));
        }
        Ok(())
    }

    fn float(&self, n: f64) -> Result<(), Stop> {
        // JSON has no NaN or infinity: serde_json writes them as null.
        match serde_json::Number::from_f64(n) {
            Some(shown) => self.number(n, shown),
            None => Err(self.wrong(NULL)),
        }
    }

    fn array(self, len: Option<usize>) -> Result<ArrayCheck<'r, 'p>, Stop> {
        match self.rule {
            Rule::Array {
                min_items,
                max_items,
                items,
            } => {
                // A length that breaks a bound is the answer whatever the items hold.
                let out_of_bounds = len.is_some_and(|n| {
                    min_items.is_some_and(|min| (n as u64) < min)
                        || max_items.is_some_and(|max| (n as u64) > max)
                });
                Ok(ArrayCheck {
                    min_items: *min_items,
                    max_items: *max_items,
                    items,
                    place: self.place,
                    count: 0,
                    first: None,
                    skip_items: out_of_bounds,
                })
            }
            _ => Err(self.wrong(ARRAY)),
        }
    }

    fn object(self) -> Result<ObjectCheck<'p>, Stop> {
        match self.rule {
            Rule::Object { properties } => Ok(ObjectCheck {
                properties,
                place: self.place,
                seen: Seen::new(properties.len()),
                first: None,
                next: None,
            }),
            _ => Err(self.wrong(OBJECT)),
        }
    }

    /// Shapes that are rare in request models (enum variants holding tuples or structs):
    /// built as a JSON value, then checked like any other value.
    fn through_json(self) -> Result<ThroughJson<'r, 'p>, Stop> {
        match self.rule {
            Rule::Object { .. } => Ok(ThroughJson {
                rule: self.rule,
                place: self.place,
            }),
            _ => Err(self.wrong(OBJECT)),
        }
    }
}

fn json_error(e: serde_json::Error) -> Stop {
    Stop::Json(Box::new(e.to_string()))
}

impl<'r, 'p> ser::Serializer for Checker<'r, 'p> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = ArrayCheck<'r, 'p>;
    type SerializeTuple = ArrayCheck<'r, 'p>;
    type SerializeTupleStruct = ArrayCheck<'r, 'p>;
    type SerializeTupleVariant =
        Variant<'r, 'p, <serde_json::value::Serializer as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = ObjectCheck<'p>;
    type SerializeStruct = ObjectCheck<'p>;
    type SerializeStructVariant =
        Variant<'r, 'p, <serde_json::value::Serializer as ser::Serializer>::SerializeStructVariant>;

    fn serialize_bool(self, _: bool) -> Result<(), Stop> {
        Err(self.wrong(BOOLEAN))
    }

    fn serialize_i8(self, v: i8) -> Result<(), Stop> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Stop> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Stop> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Stop> {
        self.number(v as f64, v.into())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Stop> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(v), _) => self.serialize_i64(v),
            (_, Ok(v)) => self.serialize_u64(v),
            _ => Err(Stop::Json(Box::new("number out of range".into()))),
        }
    }

    fn serialize_u8(self, v: u8) -> Result<(), Stop> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Stop> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Stop> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Stop> {
        self.number(v as f64, v.into())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Stop> {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => Err(Stop::Json(Box::new("number out of range".into()))),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<(), Stop> {
        self.float(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Stop> {
        self.float(v)
    }

    fn serialize_char(self, v: char) -> Result<(), Stop> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Stop> {
        self.string(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Stop> {
        // JSON writes bytes as an array of numbers.
        let mut items = self.array(Some(v.len()))?;
        for byte in v {
            items.item(byte)?;
        }
        items.finish()
    }

    fn serialize_none(self) -> Result<(), Stop> {
        Err(self.wrong(NULL))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        Err(self.wrong(NULL))
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Err(self.wrong(NULL))
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Stop> {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        // `{"Variant": value}`
        let mut object = self.object()?;
        object.serialize_entry(variant, value)?;
        SerializeMap::end(object)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ArrayCheck<'r, 'p>, Stop> {
        self.array(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<ArrayCheck<'r, 'p>, Stop> {
        self.array(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<ArrayCheck<'r, 'p>, Stop> {
        self.array(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        let to = self.through_json()?;
        let inner = ser::Serializer::serialize_tuple_variant(
            serde_json::value::Serializer,
            name,
            index,
            variant,
            len,
        )
        .map_err(json_error)?;
        Ok(Variant { to, inner })
    }

    fn serialize_map(self, _: Option<usize>) -> Result<ObjectCheck<'p>, Stop> {
        self.object()
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<ObjectCheck<'p>, Stop> {
        self.object()
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        let to = self.through_json()?;
        let inner = ser::Serializer::serialize_struct_variant(
            serde_json::value::Serializer,
            name,
            index,
            variant,
            len,
        )
        .map_err(json_error)?;
        Ok(Variant { to, inner })
    }
}

/// An array being checked: its items one by one, its length at the end.
struct ArrayCheck<'r, 'p> {
    min_items: Option<u64>,
    max_items: Option<u64>,
    items: &'r Rule,
    place: Place<'p>,
    count: usize,
    /// The first refused item.
    first: Option<Box<Violation>>,
    /// The length alone decides: items need no checking.
    skip_items: bool,
}

impl ArrayCheck<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let index = self.count;
        self.count += 1;
        if self.skip_items || self.first.is_some() {
            return Ok(());
        }
        match check(self.items, value, Place::Index(&self.place, index)) {
            Ok(()) => Ok(()),
            Err(Stop::Refused(v)) => {
                self.first = Some(v);
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// The bounds first, then the first refused item: a list that is too long is reported
    /// as such even when one of its items is also wrong.
    fn finish(self) -> Result<(), Stop> {
        let len = self.count as u64;
        if let Some(min) = self.min_items
            && len < min
        {
            return Err(refuse(
                self.place,
                format!("has {len} items; at least {min} required"),
                false,
            ));
        }
        if let Some(max) = self.max_items
            && len > max
        {
            return Err(refuse(
                self.place,
                format!("has {len} items; at most {max} per request (split larger sets into batches)"),
                false,
            ));
        }
        self.first.map_or(Ok(()), |v| Err(Stop::Refused(v)))
    }
}

impl SerializeSeq for ArrayCheck<'_, '_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.item(value)
    }

    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

impl SerializeTuple for ArrayCheck<'_, '_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.item(value)
    }

    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

impl SerializeTupleStruct for ArrayCheck<'_, '_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.item(value)
    }

    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

/// Which declared properties an object has shown so far.
enum Seen {
    Few(u64),
    Many(Vec<bool>),
}

impl Seen {
    fn new(properties: usize) -> Self {
        if properties <= 64 {
            Seen::Few(0)
        } else {
            Seen::Many(vec![false; properties])
        }
    }

    fn set(&mut self, i: usize) {
        match self {
            Seen::Few(bits) => *bits |= 1 << i,
            Seen::Many(flags) => flags[i] = true,
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Seen::Few(bits) => bits & (1 << i) != 0,
            Seen::Many(flags) => flags[i],
        }
    }
}

/// An object being checked. Members arrive in the model's order but are judged in the
/// rule's: the refusal reported is the one of the first declared property that is missing
/// or refused, as if the rule's property list were walked. Undeclared members are not
/// checked.
struct ObjectCheck<'p> {
    properties: &'static [Property],
    place: Place<'p>,
    seen: Seen,
    /// The refusal of the earliest property so far, with its index.
    first: Option<(usize, Box<Violation>)>,
    /// The declared property whose value comes next (after `serialize_key`).
    next: Option<usize>,
}

impl ObjectCheck<'_> {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.properties.iter().position(|p| p.name == name)
    }

    fn member<T: Serialize + ?Sized>(&mut self, index: usize, value: &T) -> Result<(), Stop> {
        self.seen.set(index);
        if self.first.as_ref().is_some_and(|(i, _)| *i < index) {
            return Ok(());
        }
        let property = &self.properties[index];
        if !property.required && is_null(value) {
            return Ok(());
        }
        match check(property.rule, value, Place::Key(&self.place, property.name)) {
            Ok(()) => Ok(()),
            Err(Stop::Refused(v)) => {
                self.first = Some((index, v));
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    fn finish(self) -> Result<(), Stop> {
        let missing = self
            .properties
            .iter()
            .enumerate()
            .find(|(i, p)| p.required && !self.seen.get(*i));
        match (missing, self.first) {
            (Some((i, p)), first) if first.as_ref().is_none_or(|(j, _)| i < *j) => {
                Err(refuse(self.place, format!("has no `{}`", p.name), true))
            }
            (_, Some((_, v))) => Err(Stop::Refused(v)),
            _ => Ok(()),
        }
    }
}

impl SerializeMap for ObjectCheck<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.next = key.serialize(KeyMatcher(self.properties))?;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        match self.next.take() {
            Some(index) => self.member(index, value),
            None => Ok(()),
        }
    }

    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

impl SerializeStruct for ObjectCheck<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        match self.index_of(key) {
            Some(index) => self.member(index, value),
            None => Ok(()),
        }
    }

    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

/// The rule and place of an enum variant built through `serde_json::Value`.
struct ThroughJson<'r, 'p> {
    rule: &'r Rule,
    place: Place<'p>,
}

/// `serde_json`'s own serializer for a tuple or struct variant; its value is checked at the end.
struct Variant<'r, 'p, S> {
    to: ThroughJson<'r, 'p>,
    inner: S,
}

impl<S: SerializeTupleVariant<Ok = serde_json::Value, Error = serde_json::Error>> SerializeTupleVariant
    for Variant<'_, '_, S>
{
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.inner.serialize_field(value).map_err(json_error)
    }

    fn end(self) -> Result<(), Stop> {
        let value = self.inner.end().map_err(json_error)?;
        check(self.to.rule, &value, self.to.place)
    }
}

impl<S: SerializeStructVariant<Ok = serde_json::Value, Error = serde_json::Error>> SerializeStructVariant
    for Variant<'_, '_, S>
{
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        self.inner.serialize_field(key, value).map_err(json_error)
    }

    fn end(self) -> Result<(), Stop> {
        let value = self.inner.end().map_err(json_error)?;
        check(self.to.rule, &value, self.to.place)
    }
}

/// Finds which declared property a map key names (keys are written as JSON writes them).
struct KeyMatcher(&'static [Property]);

impl KeyMatcher {
    fn find(&self, key: &str) -> Result<Option<usize>, Stop> {
        Ok(self.0.iter().position(|p| p.name == key))
    }

    fn not_a_string() -> Stop {
        Stop::Json(Box::new("key must be a string".into()))
    }
}

impl ser::Serializer for KeyMatcher {
    type Ok = Option<usize>;
    type Error = Stop;
    type SerializeSeq = Impossible<Option<usize>, Stop>;
    type SerializeTuple = Impossible<Option<usize>, Stop>;
    type SerializeTupleStruct = Impossible<Option<usize>, Stop>;
    type SerializeTupleVariant = Impossible<Option<usize>, Stop>;
    type SerializeMap = Impossible<Option<usize>, Stop>;
    type SerializeStruct = Impossible<Option<usize>, Stop>;
    type SerializeStructVariant = Impossible<Option<usize>, Stop>;

    fn serialize_str(self, v: &str) -> Result<Option<usize>, Stop> {
        self.find(v)
    }

    fn serialize_char(self, v: char) -> Result<Option<usize>, Stop> {
        self.find(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bool(self, v: bool) -> Result<Option<usize>, Stop> {
        self.find(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<Option<usize>, Stop> {
        self.find(&v.to_string())
    }

    fn serialize_f32(self, _: f32) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_f64(self, _: f64) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_none(self) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_unit(self) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<usize>, Stop> {
        self.find(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Option<usize>, Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Option<usize>, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(Self::not_a_string())
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Self::not_a_string())
    }
}

/// Whether `rule` is an object rule with a required property that `value`, an object, does
/// not have. Only the keys are looked at; `false` whenever that cannot be told that way.
fn lacks_required_key<T: Serialize + ?Sized>(rule: &Rule, value: &T) -> bool {
    let Rule::Object { properties } = rule else {
        return false;
    };
    if properties.len() > 64 || !properties.iter().any(|p| p.required) {
        return false;
    }
    let required = properties
        .iter()
        .enumerate()
        .filter(|(_, p)| p.required)
        .fold(0u64, |mask, (i, _)| mask | 1 << i);
    match value.serialize(KeyProbe { properties, seen: 0 }) {
        Ok(seen) => seen & required != required,
        Err(Skip) => false,
    }
}

/// Collects which declared properties an object's keys name, as a bit mask; anything but an
/// object stops it.
struct KeyProbe {
    properties: &'static [Property],
    seen: u64,
}

impl KeyProbe {
    fn mark(&mut self, key: &str) {
        if let Some(i) = self.properties.iter().position(|p| p.name == key) {
            self.seen |= 1 << i;
        }
    }
}

impl ser::Serializer for KeyProbe {
    type Ok = u64;
    type Error = Skip;
    type SerializeSeq = Impossible<u64, Skip>;
    type SerializeTuple = Impossible<u64, Skip>;
    type SerializeTupleStruct = Impossible<u64, Skip>;
    type SerializeTupleVariant = Impossible<u64, Skip>;
    type SerializeMap = KeyProbe;
    type SerializeStruct = KeyProbe;
    type SerializeStructVariant = Impossible<u64, Skip>;

    fn serialize_bool(self, _: bool) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_i8(self, _: i8) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_i16(self, _: i16) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_i32(self, _: i32) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_i64(self, _: i64) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_u8(self, _: u8) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_u16(self, _: u16) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_u32(self, _: u32) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_u64(self, _: u64) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_f32(self, _: f32) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_f64(self, _: f64) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_char(self, _: char) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_str(self, _: &str) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_none(self) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<u64, Skip> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<u64, Skip> {
        Err(Skip)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<u64, Skip> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: &T,
    ) -> Result<u64, Skip> {
        self.mark(variant);
        Ok(self.seen)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Skip> {
        Err(Skip)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Skip> {
        Err(Skip)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Skip> {
        Err(Skip)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Skip> {
        Err(Skip)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<KeyProbe, Skip> {
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<KeyProbe, Skip> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Skip> {
        Err(Skip)
    }
}

impl SerializeMap for KeyProbe {
    type Ok = u64;
    type Error = Skip;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Skip> {
        // Keys that are not plain strings are left to the full check.
        let index = key.serialize(KeyMatcher(self.properties)).map_err(|_| Skip)?;
        if let Some(i) = index {
            self.seen |= 1 << i;
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Skip> {
        Ok(())
    }

    fn end(self) -> Result<u64, Skip> {
        Ok(self.seen)
    }
}

impl SerializeStruct for KeyProbe {
    type Ok = u64;
    type Error = Skip;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, _: &T) -> Result<(), Skip> {
        self.mark(key);
        Ok(())
    }

    fn end(self) -> Result<u64, Skip> {
        Ok(self.seen)
    }
}

/// Whether `value` is written as JSON `null` (nothing, unit, or a non-finite float).
fn is_null<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(NullProbe), Ok(true))
}

/// Answers "is this null?" from the first serializer call; anything compound is not.
struct NullProbe;

/// What the probes ([`NullProbe`], [`KeyProbe`]) stop with once the answer is known.
#[derive(Debug)]
struct Skip;

impl Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe stopped")
    }
}

impl std::error::Error for Skip {}

impl ser::Error for Skip {
    fn custom<T: Display>(_: T) -> Self {
        Skip
    }
}

impl ser::Serializer for NullProbe {
    type Ok = bool;
    type Error = Skip;
    type SerializeSeq = Impossible<bool, Skip>;
    type SerializeTuple = Impossible<bool, Skip>;
    type SerializeTupleStruct = Impossible<bool, Skip>;
    type SerializeTupleVariant = Impossible<bool, Skip>;
    type SerializeMap = Impossible<bool, Skip>;
    type SerializeStruct = Impossible<bool, Skip>;
    type SerializeStructVariant = Impossible<bool, Skip>;

    fn serialize_bool(self, _: bool) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_i8(self, _: i8) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_i16(self, _: i16) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_i32(self, _: i32) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_i64(self, _: i64) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_u8(self, _: u8) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_u16(self, _: u16) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_u32(self, _: u32) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_u64(self, _: u64) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_f32(self, v: f32) -> Result<bool, Skip> {
        Ok(!v.is_finite())
    }

    fn serialize_f64(self, v: f64) -> Result<bool, Skip> {
        Ok(!v.is_finite())
    }

    fn serialize_char(self, _: char) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_str(self, _: &str) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_none(self) -> Result<bool, Skip> {
        Ok(true)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<bool, Skip> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<bool, Skip> {
        Ok(true)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<bool, Skip> {
        Ok(true)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool, Skip> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Skip> {
        Ok(false)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Skip> {
        Err(Skip)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Skip> {
        Err(Skip)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Skip> {
        Err(Skip)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Skip> {
        Err(Skip)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Skip> {
        Err(Skip)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Skip> {
        Err(Skip)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Skip> {
        Err(Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static SHORT: Rule = Rule::String {
        min_length: None,
        max_length: Some(3),
        pattern: None,
        format: None,
    };
    static SMALL: Rule = Rule::Number {
        minimum: Some(1.0),
        maximum: Some(10.0),
        exclusive_minimum: false,
        exclusive_maximum: false,
    };
    static TWO_SHORT: Rule = Rule::Array {
        min_items: None,
        max_items: Some(2),
        items: &SHORT,
    };
    static PAIR: Rule = Rule::Object {
        properties: &[
            Property {
                name: "a",
                required: true,
                rule: &SHORT,
            },
            Property {
                name: "b",
                required: false,
                rule: &SMALL,
            },
        ],
    };
    static TAGGED: Rule = Rule::Object {
        properties: &[Property {
            name: "a",
            required: false,
            rule: &SHORT,
        }],
    };
    static EITHER: Rule = Rule::OneOf {
        members: &[&PAIR, &TWO_SHORT],
    };

    fn refusal<T: Serialize + ?Sized>(rule: &Rule, value: &T) -> Option<(String, String)> {
        match check(rule, value, Place::Root("body")) {
            Ok(()) => None,
            Err(Stop::Refused(v)) => Some((v.field, v.reason)),
            Err(Stop::Json(e)) => panic!("not JSON: {e}"),
        }
    }

    #[test]
    fn members_are_judged_in_the_rules_order_not_the_values() {
        // `b` is wrong and comes first in the value, but the missing `a` is declared first.
        let value = json!({"b": 99});
        assert_eq!(refusal(&PAIR, &value), Some(("body".into(), "has no `a`".into())));
        let value = json!({"b": 99, "a": "abcd"});
        assert_eq!(
            refusal(&PAIR, &value).map(|(field, _)| field),
            Some("body.a".into())
        );
        assert_eq!(refusal(&PAIR, &json!({"a": "ab", "b": null})), None);
        assert_eq!(refusal(&PAIR, &json!({"a": "ab", "b": 3, "c": "anything"})), None);
    }

    #[test]
    fn a_list_that_is_too_long_says_so_before_its_items_do() {
        let (field, reason) = refusal(&TWO_SHORT, &["abcd", "a", "b"]).expect("refused");
        assert_eq!(field, "body");
        assert!(reason.starts_with("has 3 items; at most 2"), "{reason}");
        assert_eq!(
            refusal(&TWO_SHORT, &["a", "abcd"]),
            Some((
                "body[1]".into(),
                "\"abcd\" is 4 characters long; at most 3 allowed".into()
            ))
        );
    }

    #[test]
    fn numbers_and_kinds_are_reported_as_json_writes_them() {
        assert_eq!(
            refusal(&SMALL, &11u8).map(|(_, r)| r),
            Some("is 11; must be at most 10".into())
        );
        assert_eq!(
            refusal(&SMALL, &0.5f64).map(|(_, r)| r),
            Some("is 0.5; must be at least 1".into())
        );
        assert_eq!(
            refusal(&SMALL, &f64::NAN).map(|(_, r)| r),
            Some("expected a number, found null".into())
        );
        assert_eq!(
            refusal(&SHORT, &true).map(|(_, r)| r),
            Some("expected a string, found a boolean".into())
        );
        let nullable = Rule::Nullable { inner: &SMALL };
        assert_eq!(refusal(&nullable, &None::<i64>), None);
        assert!(refusal(&nullable, &Some(0)).is_some());
    }

    #[test]
    fn one_of_takes_the_first_member_that_holds_or_the_most_telling_refusal() {
        assert_eq!(refusal(&EITHER, &["a"]), None);
        assert_eq!(refusal(&EITHER, &json!({"a": "ok"})), None);
        // Both members refuse: the broken limit (an item too long) beats the wrong shape.
        assert_eq!(
            refusal(&EITHER, &["abcd"]).map(|(field, _)| field),
            Some("body[0]".into())
        );
    }

    #[test]
    fn enum_variants_are_checked_in_their_json_form() {
        #[derive(Serialize)]
        enum Form {
            #[serde(rename = "a")]
            A(String),
            #[serde(rename = "b")]
            B { x: u8 },
        }

        assert_eq!(
            refusal(&TAGGED, &Form::A("abcd".into())).map(|(field, _)| field),
            Some("body.a".into())
        );
        assert_eq!(refusal(&TAGGED, &Form::B { x: 1 }), None);
    }
}
