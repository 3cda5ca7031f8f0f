/** Data readers: JSONL, Parquet and Hugging Face dataset folders behind one `openDataset`. */
export { openDataset, BAD_INVALID_JSON, BAD_NOT_OBJECT, badMissingColumn, type Dataset, type OpenDatasetOptions } from "./openDataset.js";
export { DataReport, formatSource, type DatasetRow, type RowSource, type ReasonTally, type DataReportSummary } from "./dataReport.js";
export { resolveColumnMapping, applyColumnMapping, columnValue, type ColumnSpec, type ColumnMapping } from "./columnMapping.js";
export { listDatasetFiles, selectDatasetFiles, splitOfPath, formatOfFile, type DatasetFile, type DataFormat } from "./datasetFolder.js";
export { scanJsonl, type JsonlLine } from "./jsonlReader.js";
export { readParquet, readParquetMetadata, parquetColumnNames, parquetRowGroups, jsonSafe, type ParquetReadOptions } from "./parquetReader.js";
