//! The model: objects, the inventory and its indexes, and resolution of references between objects.

pub mod certmanager;
pub mod fingerprint;
pub mod inventory;
pub mod mesh;
pub mod object;
pub mod ownership;
pub mod prune;
pub mod selector;
pub mod settings;
pub mod webhook;

pub use inventory::{Declared, Inventory, PodTemplate, pod_template_of};
pub use object::{ObjId, ObjRef, Object, group_of, object_from_json, objects_from_document};
pub use ownership::{IngressGroup, IngressOwner, ServiceOwner};
pub use settings::Settings;
