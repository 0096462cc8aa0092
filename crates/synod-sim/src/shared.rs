//! Observers the caller keeps a handle to, so it can read their findings after the run.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;
use synod_core::{Event, Level, Observer, Violation};

/// A shared observer: give one clone to the simulator, keep the other.
pub struct Shared<O>(Rc<RefCell<O>>);

impl<O> Shared<O> {
    /// Wrap an observer.
    pub fn new(o: O) -> Self {
        Shared(Rc::new(RefCell::new(o)))
    }
    /// Read it.
    pub fn borrow(&self) -> Ref<'_, O> {
        self.0.borrow()
    }
    /// Change it.
    pub fn borrow_mut(&self) -> RefMut<'_, O> {
        self.0.borrow_mut()
    }
}

impl<O> Clone for Shared<O> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<O: Observer> Observer for Shared<O> {
    fn level(&self) -> Option<Level> {
        self.0.borrow().level()
    }
    fn wants_state(&self) -> bool {
        self.0.borrow().wants_state()
    }
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        self.0.borrow_mut().event(ev)
    }
}
