//! Tables: grid tables, simple tables, and the `list-table` and `csv-table` directives.
//!
//! Steps for the two drawn kinds: cut the table's lines out; find the cells (a grid
//! table by walking its `+` corners, as docutils does, so spanning cells work; a simple
//! table by the columns of its `=` borders); then parse each cell's text as blocks.
//! The directives build the same [`Table`] from a two-level bullet list or from CSV.

use crate::doc::{Block, Inline, Table, TableCell, TableRow};

use super::explicit::DirectiveBlock;
use super::lines::Line;
use super::{Context, Parser};

/// Grid tables larger than this (in characters) are refused rather than scanned.
const MAX_GRID_AREA: usize = 4_000_000;

pub(super) fn is_grid_table_top(text: &str) -> bool {
    text.starts_with("+-")
        && text.ends_with('+')
        && text.len() >= 3
        && text.chars().all(|c| c == '+' || c == '-')
}

pub(super) fn is_simple_table_top(text: &str) -> bool {
    let columns = border_columns(text);
    columns.is_some_and(|columns| columns.len() >= 2)
}

/// The column ranges (in characters) of a simple-table border `===  ====`.
fn border_columns(text: &str) -> Option<Vec<(usize, usize)>> {
    if !text.starts_with('=') || !text.chars().all(|c| c == '=' || c == ' ') {
        return None;
    }
    let mut columns = Vec::new();
    let mut start = None;
    for (index, c) in text.chars().enumerate() {
        match (c, start) {
            ('=', None) => start = Some(index),
            (' ', Some(begin)) => {
                columns.push((begin, index));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        columns.push((begin, text.chars().count()));
    }
    Some(columns)
}

/// A cell found in a grid: its border rows and columns.
#[derive(Debug, Clone, Copy)]
struct GridCell {
    top: usize,
    left: usize,
    bottom: usize,
    right: usize,
}

impl Parser<'_, '_> {
    /// `grid_table`: a table drawn with `+`, `-`, `=` and `|`.
    pub(super) fn grid_table(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let mut end = index;
        while lines.get(end).is_some_and(|line| {
            line.indent() == 0 && (line.text.starts_with('+') || line.text.starts_with('|'))
        }) {
            end += 1;
        }
        let table_lines = &lines[index..end];
        let mut grid: Vec<Vec<char>> = table_lines
            .iter()
            .map(|l| l.text.chars().collect())
            .collect();
        let width = grid.iter().map(Vec::len).max().unwrap_or(0);
        let at = self.location(&lines[index]);
        if width * grid.len() > MAX_GRID_AREA {
            self.warn(
                "rst-table-too-large",
                at,
                "grid table is too large",
                "split the table into smaller ones",
            );
            return end;
        }
        for row in &mut grid {
            row.resize(width, ' ');
        }
        let head_separator = grid.iter().position(|row| {
            row.first() == Some(&'+')
                && row.contains(&'=')
                && row.iter().all(|c| matches!(c, '+' | '=' | ' '))
        });
        if let Some(row) = head_separator {
            for c in &mut grid[row] {
                if *c == '=' {
                    *c = '-';
                }
            }
        }
        let Some(cells) = scan_grid(&grid) else {
            self.warn(
                "rst-malformed-table",
                at,
                "malformed grid table",
                "every row must be closed by a `+---+` border and every cell by `|` on both sides",
            );
            out.push(Block::Code(crate::doc::CodeBlock {
                code: format!("{}\n", super::lines::join(table_lines)),
                location: at,
                ..Default::default()
            }));
            return end;
        };
        out.push(Block::Table(self.grid_cells_to_table(
            &grid,
            table_lines,
            &cells,
            head_separator,
        )));
        end
    }

    fn grid_cells_to_table(
        &mut self,
        grid: &[Vec<char>],
        table_lines: &[Line<'_>],
        cells: &[GridCell],
        head_separator: Option<usize>,
    ) -> Table {
        let mut row_edges: Vec<usize> = cells.iter().flat_map(|c| [c.top, c.bottom]).collect();
        row_edges.sort_unstable();
        row_edges.dedup();
        let mut col_edges: Vec<usize> = cells.iter().flat_map(|c| [c.left, c.right]).collect();
        col_edges.sort_unstable();
        col_edges.dedup();

        let mut rows: Vec<TableRow> = vec![TableRow::default(); row_edges.len().saturating_sub(1)];
        let mut ordered = cells.to_vec();
        ordered.sort_by_key(|cell| (cell.top, cell.left));
        for cell in ordered {
            let row = row_edges.partition_point(|edge| *edge < cell.top);
            let rowspan = row_edges.partition_point(|edge| *edge < cell.bottom) - row;
            let col = col_edges.partition_point(|edge| *edge < cell.left);
            let colspan = col_edges.partition_point(|edge| *edge < cell.right) - col;
            let texts: Vec<String> = (cell.top + 1..cell.bottom)
                .map(|r| {
                    grid[r][cell.left + 1..cell.right]
                        .iter()
                        .collect::<String>()
                        .trim_end()
                        .to_string()
                })
                .collect();
            let blocks = self.cell_blocks(&texts, table_lines, cell.top + 1, cell.left + 1);
            if let Some(target) = rows.get_mut(row) {
                target.cells.push(TableCell {
                    blocks,
                    colspan: colspan.max(1) as u32,
                    rowspan: rowspan.max(1) as u32,
                });
            }
        }
        let head_rows = head_separator.map_or(0, |separator| {
            row_edges.partition_point(|edge| *edge < separator)
        });
        let body = rows.split_off(head_rows.min(rows.len()));
        Table {
            head: rows,
            body,
            ..Table::default()
        }
    }

    /// A cell's text (lines cut out of the table) parsed as blocks.
    fn cell_blocks(
        &mut self,
        texts: &[String],
        table_lines: &[Line<'_>],
        first_row: usize,
        column: usize,
    ) -> Vec<Block> {
        let indent = texts
            .iter()
            .filter(|text| !text.trim().is_empty())
            .map(|text| text.len() - text.trim_start().len())
            .min()
            .unwrap_or(0);
        let cell_lines: Vec<Line<'_>> = texts
            .iter()
            .enumerate()
            .map(|(offset, text)| {
                let source = table_lines.get(first_row + offset);
                Line::new(
                    text.get(indent.min(text.len())..).unwrap_or(""),
                    source.map_or(0, |line| line.number),
                    source.map_or(1, |line| line.column) + (column + indent) as u32,
                )
            })
            .collect();
        self.parse_blocks(&cell_lines, Context::NESTED)
    }

    /// `simple_table`: columns marked by `=` borders; a header when a second border
    /// follows the first rows.
    pub(super) fn simple_table(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let Some(columns) = border_columns(lines[index].text) else {
            return index + 1;
        };
        let mut rows: Vec<Vec<Vec<Line<'_>>>> = Vec::new();
        let mut head_rows = 0;
        let mut next = index + 1;
        let mut closed = false;
        while let Some(line) = lines.get(next) {
            if line.indent() == 0 && border_columns(line.text).is_some() {
                let after = lines.get(next + 1);
                if after.is_none_or(Line::is_blank) {
                    next += 1;
                    closed = true;
                    break;
                }
                if head_rows == 0 {
                    head_rows = rows.len();
                }
                next += 1;
                continue;
            }
            if is_span_line(line.text) {
                next += 1;
                continue;
            }
            if line.is_blank() {
                // Inside a row that goes on, a blank line separates paragraphs of a cell;
                // between rows it is dropped with the row's trailing blanks.
                if let Some(last) = rows.last_mut() {
                    for cell in last.iter_mut() {
                        cell.push(line.with_text(""));
                    }
                }
                next += 1;
                continue;
            }
            let cells = split_simple_row(line, &columns);
            let continues = !rows.is_empty() && cells[0].text.trim().is_empty();
            match rows.last_mut() {
                Some(last) if continues => {
                    for (cell, part) in last.iter_mut().zip(cells) {
                        cell.push(part);
                    }
                }
                _ => rows.push(cells.into_iter().map(|part| vec![part]).collect()),
            }
            next += 1;
        }
        if !closed {
            let at = self.location(&lines[index]);
            self.warn(
                "rst-malformed-table",
                at,
                "simple table has no bottom border",
                "end the table with a `=== ===` line followed by a blank line",
            );
        }
        let mut table_rows = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::with_capacity(row.len());
            for cell in row {
                let indent = cell
                    .iter()
                    .filter(|l| !l.is_blank())
                    .map(Line::indent)
                    .min()
                    .unwrap_or(0);
                let dedented: Vec<Line<'_>> = cell.iter().map(|l| l.dedent(indent)).collect();
                cells.push(TableCell::new(
                    self.parse_blocks(&dedented, Context::NESTED),
                ));
            }
            table_rows.push(TableRow { cells });
        }
        let body = table_rows.split_off(head_rows.min(table_rows.len()));
        out.push(Block::Table(Table {
            head: table_rows,
            body,
            ..Table::default()
        }));
        next
    }

    /// `list-table`: a bullet list of rows, each a bullet list of cells.
    pub(super) fn list_table(&mut self, block: &DirectiveBlock<'_>) -> Option<Block> {
        let blocks = self.parse_blocks(&block.content, Context::NESTED);
        let rows = match blocks.as_slice() {
            [Block::List(list)] if list.start.is_none() => Some(&list.items),
            _ => None,
        };
        let Some(items) = rows else {
            self.warn(
                "rst-malformed-list-table",
                block.location,
                "list-table content must be a bullet list of bullet lists",
                "write each row as `* - cell` followed by `  - cell` lines",
            );
            return None;
        };
        let mut table_rows = Vec::new();
        for item in items {
            let cells = match item.blocks.as_slice() {
                [Block::List(row)] if row.start.is_none() => row
                    .items
                    .iter()
                    .map(|cell| TableCell::new(cell.blocks.clone()))
                    .collect(),
                [] => Vec::new(),
                _ => {
                    self.warn(
                        "rst-malformed-list-table",
                        block.location,
                        "a list-table row is not a bullet list",
                        "write each row's cells as `- cell` items",
                    );
                    return None;
                }
            };
            table_rows.push(TableRow { cells });
        }
        let width = table_rows
            .iter()
            .map(|row| row.cells.len())
            .max()
            .unwrap_or(0);
        if table_rows.iter().any(|row| row.cells.len() != width) {
            self.warn(
                "rst-malformed-list-table",
                block.location,
                "list-table rows have different numbers of cells",
                "give every row the same number of `-` items",
            );
        }
        Some(Block::Table(self.directive_table(block, table_rows)))
    }

    /// `csv-table`: rows of comma-separated values (`:header:`, `:delim:`, `:quote:`).
    pub(super) fn csv_table(&mut self, block: &DirectiveBlock<'_>) -> Option<Block> {
        let delimiter = match block.option("delim") {
            Some("tab") => '\t',
            Some("space") => ' ',
            Some(text) => text.chars().next().unwrap_or(','),
            None => ',',
        };
        let quote = block
            .option("quote")
            .and_then(|q| q.chars().next())
            .unwrap_or('"');
        let mut rows_text = Vec::new();
        if let Some(header) = block.option("header") {
            rows_text.extend(parse_csv(header, delimiter, quote));
        }
        let header_from_option = rows_text.len();
        rows_text.extend(parse_csv(&block.body(), delimiter, quote));
        let mut rows = Vec::with_capacity(rows_text.len());
        for row in rows_text {
            let mut cells = Vec::with_capacity(row.len());
            for value in row {
                let texts: Vec<&str> = value.lines().collect();
                let cell_lines: Vec<Line<'_>> = texts
                    .iter()
                    .map(|text| Line::new(text, block.location.line, block.location.column))
                    .collect();
                cells.push(TableCell::new(
                    self.parse_blocks(&cell_lines, Context::NESTED),
                ));
            }
            rows.push(TableRow { cells });
        }
        let width = rows.iter().map(|row| row.cells.len()).max().unwrap_or(0);
        if rows.iter().any(|row| row.cells.len() != width) {
            self.warn(
                "rst-malformed-csv-table",
                block.location,
                "csv-table rows have different numbers of values",
                "give every row the same number of values; short rows are filled with \
                 empty cells",
            );
            // As docutils does, so the columns still line up.
            for row in &mut rows {
                row.cells.resize_with(width, || TableCell::new(Vec::new()));
            }
        }
        let mut table = self.directive_table(block, rows);
        if header_from_option > 0 {
            let mut head = std::mem::take(&mut table.body);
            table.body = head.split_off(header_from_option.min(head.len()));
            head.extend(std::mem::take(&mut table.head));
            table.head = head;
        }
        Some(Block::Table(table))
    }

    /// What `list-table` and `csv-table` share: title, `:header-rows:`, `:widths:`.
    fn directive_table(&mut self, block: &DirectiveBlock<'_>, mut rows: Vec<TableRow>) -> Table {
        let head_rows = block
            .option("header-rows")
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let body = rows.split_off(head_rows.min(rows.len()));
        let caption =
            (!block.argument.is_empty()).then(|| self.inline_text(&block.argument, block.location));
        let widths: Vec<u32> = block
            .option("widths")
            .map(|widths| {
                widths
                    .split([',', ' '])
                    .filter_map(|w| w.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let classes = block
            .option("class")
            .map(|classes| classes.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Table {
            caption: caption.filter(|caption: &Vec<Inline>| !caption.is_empty()),
            widths,
            head: rows,
            body,
            classes,
            ..Table::default()
        }
    }
}

/// Walks a grid from its `+` corners, as docutils' grid-table parser does; `None` when
/// the cells do not tile the whole table.
fn scan_grid(grid: &[Vec<char>]) -> Option<Vec<GridCell>> {
    let bottom = grid.len().checked_sub(1)?;
    let right = grid.first()?.len().checked_sub(1)?;
    if bottom == 0 || right == 0 || grid[0][0] != '+' {
        return None;
    }
    // For each column, the last row already covered by a cell (`None`: none yet).
    let mut done: Vec<Option<usize>> = vec![None; right];
    let mut corners = vec![(0usize, 0usize)];
    let mut cells = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while !corners.is_empty() {
        corners.sort_unstable();
        let (top, left) = corners.remove(0);
        if top == bottom || left == right || !seen.insert((top, left)) {
            continue;
        }
        if done[left].is_some_and(|covered| top < covered) {
            continue;
        }
        let Some(cell) = scan_cell(grid, top, left, bottom, right) else {
            continue;
        };
        for slot in &mut done[cell.left..cell.right] {
            *slot = Some(cell.bottom);
        }
        cells.push(cell);
        corners.push((top, cell.right));
        corners.push((cell.bottom, left));
    }
    done.iter()
        .all(|covered| *covered == Some(bottom))
        .then_some(cells)
}

fn scan_cell(
    grid: &[Vec<char>],
    top: usize,
    left: usize,
    bottom: usize,
    right: usize,
) -> Option<GridCell> {
    if grid[top][left] != '+' {
        return None;
    }
    for cell_right in left + 1..=right {
        match grid[top][cell_right] {
            '+' => {
                if let Some(cell_bottom) = scan_down(grid, top, left, cell_right, bottom) {
                    return Some(GridCell {
                        top,
                        left,
                        bottom: cell_bottom,
                        right: cell_right,
                    });
                }
            }
            '-' => {}
            _ => return None,
        }
    }
    None
}

fn scan_down(
    grid: &[Vec<char>],
    top: usize,
    left: usize,
    right: usize,
    bottom: usize,
) -> Option<usize> {
    for row in top + 1..=bottom {
        match grid[row][right] {
            '+' => {
                if closes_left(grid, top, left, row, right) {
                    return Some(row);
                }
            }
            '|' => {}
            _ => return None,
        }
    }
    None
}

/// Whether the bottom edge from `right` back to `left` and the left edge up to `top`
/// are drawn.
fn closes_left(grid: &[Vec<char>], top: usize, left: usize, bottom: usize, right: usize) -> bool {
    let bottom_edge = grid[bottom][left + 1..right]
        .iter()
        .all(|c| matches!(c, '-' | '+'));
    let left_edge = (top + 1..bottom).all(|row| matches!(grid[row][left], '|' | '+'));
    bottom_edge && grid[bottom][left] == '+' && left_edge
}

/// A `---  ----` line in a simple table (column spans; read as a row separator).
fn is_span_line(text: &str) -> bool {
    text.starts_with('-') && text.chars().all(|c| c == '-' || c == ' ')
}

/// A simple-table line cut at the column starts; the last column takes the rest.
fn split_simple_row<'t>(line: &Line<'t>, columns: &[(usize, usize)]) -> Vec<Line<'t>> {
    let char_starts: Vec<usize> = line.text.char_indices().map(|(byte, _)| byte).collect();
    let byte_at = |column: usize| char_starts.get(column).copied().unwrap_or(line.text.len());
    columns
        .iter()
        .enumerate()
        .map(|(index, (start, _))| {
            let from = byte_at(*start);
            let to = columns
                .get(index + 1)
                .map_or(line.text.len(), |(next, _)| byte_at(*next));
            Line::new(
                line.text.get(from..to.max(from)).unwrap_or("").trim_end(),
                line.number,
                line.column + *start as u32,
            )
        })
        .collect()
}

/// CSV records: fields separated by `delimiter`, `quote`-quoted fields may hold the
/// delimiter, doubled quotes and line breaks.
fn parse_csv(text: &str, delimiter: char, quote: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == quote {
                if chars.peek() == Some(&quote) {
                    field.push(quote);
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            c if c == quote && field.trim().is_empty() => {
                field.clear();
                quoted = true;
                field_started = true;
            }
            c if c == delimiter => {
                row.push(field.trim().to_string());
                field.clear();
                field_started = true;
            }
            '\n' => {
                if field_started || !field.trim().is_empty() {
                    row.push(field.trim().to_string());
                }
                if !row.is_empty() {
                    rows.push(std::mem::take(&mut row));
                }
                field.clear();
                field_started = false;
            }
            c => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if field_started || !field.trim().is_empty() {
        row.push(field.trim().to_string());
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_and_delimiters() {
        let rows = parse_csv("a, \"b, c\", \"say \"\"hi\"\"\"\nd,e,f\n", ',', '"');
        assert_eq!(
            rows,
            vec![vec!["a", "b, c", "say \"hi\""], vec!["d", "e", "f"]]
        );
    }

    #[test]
    fn grid_scan_finds_spanning_cells() {
        let grid: Vec<Vec<char>> = [
            "+---+---+",
            "| a | b |",
            "+---+---+",
            "| c     |",
            "+-------+",
        ]
        .iter()
        .map(|row| row.chars().collect())
        .collect();
        let cells = scan_grid(&grid).unwrap();
        assert_eq!(cells.len(), 3);
        assert!(
            cells
                .iter()
                .any(|c| c.left == 0 && c.right == 8 && c.top == 2)
        );
    }

    #[test]
    fn border_columns_are_found() {
        assert_eq!(border_columns("===  ====="), Some(vec![(0, 3), (5, 10)]));
        assert!(!is_simple_table_top("====="));
    }
}
