//! Two macros that generate the lossless model types.
//!
//! * [`wire_enum!`] makes a string enum that keeps values it does not know as
//!   `Unknown(String)` and writes every value back exactly as it came.
//! * [`json_object!`] makes a struct with one `Option` per documented member,
//!   an `extra` map for members this crate does not model, and a record of
//!   which members arrived as an explicit `null`, so that serializing the
//!   struct gives back the same JSON document (timestamps aside).
//!
//! Both write `Deserialize` by hand rather than through `#[serde(flatten)]`,
//! which buffers every object and would halve parse throughput.

/// Defines a string enum whose unknown values survive a round trip.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know (yet), kept exactly as sent.
            Unknown(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other,
                }
            }

            /// Maps a wire value to a variant; anything else becomes `Unknown`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// Every value this crate knows, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct WireVisitor;
                impl<'de> ::serde::de::Visitor<'de> for WireVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_wire(v))
                    }
                }
                d.deserialize_str(WireVisitor)
            }
        }
    };
}

/// Defines a JSON object type that loses nothing on a round trip.
///
/// Every listed member becomes `pub field: Option<Type>`. Members that are not
/// listed land in `pub extra`. A listed member that arrived as `null` is
/// written back as `null`; one that was absent stays absent.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Members this crate does not model, kept exactly as they came.
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            /// Which modelled members arrived as an explicit `null`.
            explicit_nulls: $crate::models::fields::NullMask,
        }

        const _: () = {
            use ::serde::ser::SerializeMap as _;
            use $crate::models::fields::{Key, NullMask};

            #[allow(non_camel_case_types, dead_code)]
            #[derive(Clone, Copy)]
            enum Member { $( $field, )* __Count }

            const _: () = assert!((Member::__Count as usize) <= NullMask::CAPACITY);

            impl $name {
                /// The JSON member names this type models, in order.
                pub const MEMBERS: &'static [&'static str] = &[$($key),*];

                /// True when `member` (a JSON name such as `"assignedTo"`) arrived
                /// as an explicit `null`.
                pub fn was_null(&self, member: &str) -> bool {
                    match member {
                        $( $key => self.$field.is_none()
                            && self.explicit_nulls.get(Member::$field as u32), )*
                        _ => matches!(self.extra.get(member), Some(::serde_json::Value::Null)),
                    }
                }
            }

            impl<'de> ::serde::Deserialize<'de> for $name {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    struct ObjectVisitor;
                    impl<'de> ::serde::de::Visitor<'de> for ObjectVisitor {
                        type Value = $name;
                        fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                        }
                        fn visit_map<A: ::serde::de::MapAccess<'de>>(
                            self,
                            mut map: A,
                        ) -> Result<$name, A::Error> {
                            let mut out = $name::default();
                            while let Some(key) = map.next_key::<Key<'de>>()? {
                                match key.as_str() {
                                    $( $key => {
                                        out.$field = map.next_value()?;
                                        out.explicit_nulls
                                            .assign(Member::$field as u32, out.$field.is_none());
                                    } )*
                                    _ => {
                                        let value: ::serde_json::Value = map.next_value()?;
                                        out.extra.insert(key.into_owned(), value);
                                    }
                                }
                            }
                            Ok(out)
                        }
                    }
                    d.deserialize_map(ObjectVisitor)
                }
            }

            impl ::serde::Serialize for $name {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut map = s.serialize_map(None)?;
                    $(
                        match &self.$field {
                            Some(value) => map.serialize_entry($key, value)?,
                            None if self.explicit_nulls.get(Member::$field as u32) => {
                                map.serialize_entry($key, &())?
                            }
                            None => {}
                        }
                    )*
                    for (key, value) in &self.extra {
                        // A modelled member wins over a same-named extra, so the
                        // output never holds one key twice.
                        if !Self::MEMBERS.contains(&key.as_str()) {
                            map.serialize_entry(key, value)?;
                        }
                    }
                    map.end()
                }
            }
        };
    };
}

pub(crate) use json_object;
pub(crate) use wire_enum;
