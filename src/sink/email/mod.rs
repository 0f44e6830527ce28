//! E-mail notification rules (feature `email`), like Defender's own:
//! [`NotificationRule`] decides which alerts become an e-mail, [`render`]
//! writes it.

mod render;
mod rule;

pub use render::{Notification, render};
pub use rule::{DeviceGroups, NotificationRule, NotificationRuleBuilder};
