//! E-mail notifications, like Defender's own notification rules:
//! [`NotificationRule`] decides which alerts become an e-mail, [`render`]
//! writes it, and [`EmailSink`] (feature `email`) sends it over SMTP.

#[cfg(feature = "email")]
mod config;
mod render;
mod rule;
#[cfg(feature = "email")]
#[cfg_attr(docsrs, doc(cfg(feature = "email")))]
mod smtp;

#[cfg(feature = "email")]
pub use config::EmailSinkSettings;
pub use render::{Notification, render};
pub use rule::{DeviceGroups, NotificationRule, NotificationRuleBuilder};
#[cfg(feature = "email")]
pub use smtp::{EmailSink, EmailSinkBuilder};
