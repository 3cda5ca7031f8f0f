/**
 * The one error type of the model-folder layer. Every message starts with the file it is
 * about and names the tensor or field at fault, so a bad checkpoint is diagnosed from the
 * message alone.
 */
export class ModelFormatError extends Error {
    override readonly name = "ModelFormatError";

    constructor(
        /** The file (or folder) at fault. */
        readonly file: string,
        message: string,
        /** The tensor or JSON field at fault, when there is one. */
        readonly item?: string,
    ) {
        super(`${file}: ${message}`);
    }
}

/** True for a Node.js "no such file or directory" error. */
export function isNotFound(err: unknown): boolean {
    return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

/** A file the layout requires is not there. */
export class MissingFileError extends ModelFormatError {
    constructor(file: string, message = "file not found", item?: string) {
        super(file, message, item);
    }
}
