//! `advocacy catalog ...`: the reference lists, read from the library (no server needed).

use crate::cli::CatalogCommand;
use crate::output::Table;

pub fn run(command: &CatalogCommand, json: bool) {
    let table = match command {
        CatalogCommand::Mechanisms => {
            let mut t = Table::new(&["CODE", "ZONE", "NAME"]);
            for m in advocacy_catalog::mechanisms() {
                t.row(vec![m.code.into(), m.zone.name().into(), m.name.into()]);
            }
            t
        }
        CatalogCommand::Countries => {
            let mut t = Table::new(&["CODE", "NAME"]);
            for c in advocacy_catalog::countries() {
                t.row(vec![c.code.into(), c.name.into()]);
            }
            t
        }
        CatalogCommand::Bodies => {
            let mut t = Table::new(&["CODE", "SEAT", "ZONE", "NAME"]);
            for b in advocacy_catalog::bodies() {
                t.row(vec![b.code.into(), b.seat.into(), b.zone.name().into(), b.name.into()]);
            }
            t
        }
    };
    if json { table.print_json() } else { table.print() }
}
