package io.latentwatch.console;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Reading the fields of the job's JSON records (DESIGN.md's alerts and latents): a missing required field, or one of
 * the wrong type, is refused naming the field; a non-finite number arrives as null and stays null.
 */
final class RecordFields {

    private RecordFields() {}

    /** @throws IllegalArgumentException if the text is not a JSON object */
    static JsonObject object(String json) {
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (RuntimeException e) {
            throw e instanceof IllegalArgumentException iae ? iae : new IllegalArgumentException("not a JSON object (" + e.getMessage() + ")", e);
        }
    }

    static String string(JsonObject o, String field) {
        return required(o, field).getAsString();
    }

    static long longValue(JsonObject o, String field) {
        try {
            return required(o, field).getAsLong();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
            throw new IllegalArgumentException("\"" + field + "\" is not a number", e);
        }
    }

    /** A number, or null where the record has null (a non-finite value, or a threshold not known yet) or lacks it. */
    static Double doubleOrNull(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        try {
            return e.getAsDouble();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw new IllegalArgumentException("\"" + field + "\" is not a number", ex);
        }
    }

    static boolean bool(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e != null && !e.isJsonNull() && e.getAsBoolean();
    }

    /** An array of {@code length} ints ([x, y, w, h] or [x, y]), or null. */
    static int[] intsOrNull(JsonObject o, String field, int length) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonArray() || e.getAsJsonArray().size() != length) {
            throw new IllegalArgumentException("\"" + field + "\" is not an array of " + length + " numbers");
        }
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    static String stringOrNull(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static JsonElement required(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("record lacks \"" + field + "\"");
        }
        return e;
    }
}
