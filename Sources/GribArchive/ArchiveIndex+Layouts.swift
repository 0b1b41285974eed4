import FeatureExtraction
import Foundation
import GRDB

/// The layouts of fields (grid, packing, data section) in the index.
///
/// Grids are stored once each in `grids` (a reduced Gaussian grid's description holds its
/// whole `pl` array) and referenced by id. A field whose `layout_version` is NULL (archived
/// before layouts were recorded) or older than `FieldLayout.currentVersion` has no usable
/// layout: `GribArchive.layouts(of:)` reads it from the message on first use and records it.
extension ArchiveIndex {
    /// Assigns grid ids within one transaction, so a file of fields on one grid stores it once.
    struct GridIdentifiers {
        var known: [GridDescription: Int64] = [:]
    }

    /// Migration v2: the layout columns, NULL for fields archived before it.
    static func addLayoutColumns(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE grids (
                    id INTEGER PRIMARY KEY,
                    description TEXT NOT NULL UNIQUE
                );
                ALTER TABLE fields ADD COLUMN layout_version INTEGER;
                ALTER TABLE fields ADD COLUMN edition INTEGER;
                ALTER TABLE fields ADD COLUMN packing_type TEXT;
                ALTER TABLE fields ADD COLUMN grid_type TEXT;
                ALTER TABLE fields ADD COLUMN grid_id INTEGER REFERENCES grids(id);
                -- simple packing only: offsets from the start of the message
                ALTER TABLE fields ADD COLUMN data_offset INTEGER;
                ALTER TABLE fields ADD COLUMN data_length INTEGER;
                ALTER TABLE fields ADD COLUMN bitmap_offset INTEGER;
                ALTER TABLE fields ADD COLUMN reference_value REAL;
                ALTER TABLE fields ADD COLUMN binary_scale_factor INTEGER;
                ALTER TABLE fields ADD COLUMN decimal_scale_factor INTEGER;
                ALTER TABLE fields ADD COLUMN bits_per_value INTEGER;
                ALTER TABLE fields ADD COLUMN packed_values INTEGER;
                """
        )
    }

    /// Writes `layout` on the row of `key` if it still points at `file` and `offset` (a field
    /// archived again since keeps its own layout); nil clears it.
    static func storeLayout(
        _ layout: FieldLayout?, key: String, file: String, offset: Int64, grids: inout GridIdentifiers, in db: Database
    ) throws {
        var gridID: Int64?
        if let grid = layout?.grid {
            if let known = grids.known[grid] {
                gridID = known
            } else {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                let description = String(decoding: try encoder.encode(grid), as: UTF8.self)
                try db.execute(sql: "INSERT OR IGNORE INTO grids (description) VALUES (?)", arguments: [description])
                gridID = try Int64.fetchOne(db, sql: "SELECT id FROM grids WHERE description = ?", arguments: [description])
                grids.known[grid] = gridID
            }
        }
        let simple = layout?.simplePacked
        let statement = try db.cachedStatement(
            sql: """
                UPDATE fields SET layout_version = ?, edition = ?, packing_type = ?, grid_type = ?, grid_id = ?,
                    data_offset = ?, data_length = ?, bitmap_offset = ?, reference_value = ?, binary_scale_factor = ?,
                    decimal_scale_factor = ?, bits_per_value = ?, packed_values = ?
                WHERE key = ? AND file = ? AND offset = ?
                """)
        try statement.execute(arguments: [
            layout == nil ? nil : FieldLayout.currentVersion, layout?.edition, layout?.packingType, layout?.gridType, gridID,
            simple?.valuesOffset, simple?.valuesLength, simple?.bitmapOffset, simple?.packing.referenceValue,
            simple?.packing.binaryScaleFactor, simple?.packing.decimalScaleFactor, simple?.packing.bitsPerValue,
            simple?.packing.numberOfPackedValues, key, file, offset,
        ])
    }

    /// The recorded layouts of `fields` (by key), from the cache or one snapshot of the index;
    /// fields without a current layout, or whose row now points elsewhere, are absent.
    func layouts(of fields: [ArchivedField]) async throws -> [String: FieldLayout] {
        if let cached = cachedLayouts(of: fields) { return cached }
        return try await pool.read { db in try self.layouts(of: fields, in: db) }
    }

    /// `layouts(of:)` without suspending, for checks made while a request is submitted.
    func layoutsNow(of fields: [ArchivedField]) throws -> [String: FieldLayout] {
        if let cached = cachedLayouts(of: fields) { return cached }
        return try pool.read { db in try layouts(of: fields, in: db) }
    }

    /// The layouts of `fields` when the cache has them all.
    private func cachedLayouts(of fields: [ArchivedField]) -> [String: FieldLayout]? {
        var layouts: [String: FieldLayout] = [:]
        for field in fields {
            guard let layout = layoutCache.layout(of: field) else { return nil }
            layouts[field.key] = layout
        }
        return layouts
    }

    private func layouts(of fields: [ArchivedField], in db: Database) throws -> [String: FieldLayout] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT file, offset, layout_version, edition, packing_type, grid_type, grid_id,
                    data_offset, data_length, bitmap_offset, reference_value, binary_scale_factor, decimal_scale_factor,
                    bits_per_value, packed_values
                FROM fields WHERE key = ?
                """)
        var layouts: [String: FieldLayout] = [:]
        for field in fields where layouts[field.key] == nil {
            if let cached = layoutCache.layout(of: field) {
                layouts[field.key] = cached
                continue
            }
            guard let row = try Row.fetchOne(statement, arguments: [field.key]), row[0] == field.file, row[1] == field.offset,
                row[2] == FieldLayout.currentVersion as Int?
            else { continue }
            var grid: GridDescription?
            if let id: Int64 = row[6] {
                grid = try self.grid(id: id, in: db)
            }
            var simple: SimplePackedSection?
            if let valuesOffset: Int64 = row[7] {
                let packing = SimplePacking(
                    referenceValue: row[10], binaryScaleFactor: row[11], decimalScaleFactor: row[12], bitsPerValue: row[13],
                    numberOfPackedValues: row[14])
                simple = SimplePackedSection(packing: packing, valuesOffset: valuesOffset, valuesLength: row[8], bitmapOffset: row[9])
            }
            let layout = FieldLayout(edition: row[3], packingType: row[4], gridType: row[5], grid: grid, simplePacked: simple)
            layoutCache.insert(layout, of: field)
            layouts[field.key] = layout
        }
        return layouts
    }

    /// The grid with id `id` in the `grids` table (cached).
    private func grid(id: Int64, in db: Database) throws -> GridDescription? {
        if let known = layoutCache.grid(id: id) { return known }
        guard let description = try String.fetchOne(db, sql: "SELECT description FROM grids WHERE id = ?", arguments: [id]) else {
            return nil
        }
        let grid = try JSONDecoder().decode(GridDescription.self, from: Data(description.utf8))
        layoutCache.insert(grid, id: id)
        return grid
    }

    /// Records layouts read from the messages of fields archived before layouts existed.
    func recordLayouts(_ layouts: [(field: ArchivedField, layout: FieldLayout)]) async throws {
        try await pool.write { db in
            var grids = GridIdentifiers()
            for (field, layout) in layouts {
                try Self.storeLayout(layout, key: field.key, file: field.file, offset: field.offset, grids: &grids, in: db)
            }
        }
    }
}
