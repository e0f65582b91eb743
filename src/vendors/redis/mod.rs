//! Redis Enterprise Software: cluster bootstrap, create and join.
