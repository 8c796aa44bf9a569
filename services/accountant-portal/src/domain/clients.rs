//! A firm's clients as the list shows them: their status, the search key of their names
//! and the order and filters of the list.
