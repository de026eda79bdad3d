package io.latentwatch.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), read with a
 * check of every offset so that a truncated or malformed file is refused with a message saying what is wrong,
 * and written like the Python library does: keys sorted, header padded to 8 bytes.
 */
public final class SafeTensors {

    private SafeTensors() {}

    /** One tensor: dtype ("F32" or "I64"), shape and its raw little-endian bytes. */
    public static final class Tensor {
        public final String dtype;
        public final long[] shape;
        public final ByteBuffer data;

        public Tensor(String dtype, long[] shape, ByteBuffer data) {
            this.dtype = dtype;
            this.shape = shape.clone();
            this.data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        public static Tensor f32(long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Tensor("F32", shape, b);
        }

        public static Tensor i64Scalar(long value) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, value);
            return new Tensor("I64", new long[0], b);
        }

        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public float[] floats() {
            float[] out = new float[Math.toIntExact(elementCount())];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        public long longScalar() {
            return data.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        }

        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    /**
     * Parses a safetensors file.
     *
     * @param bytes the whole file
     * @param what how to name the file in error messages
     * @return tensors by name, in header order
     * @throws ModelFormatException naming the problem: truncated, bad header, bad offsets, unsupported dtype
     */
    public static Map<String, Tensor> read(byte[] bytes, String what) throws ModelFormatException {
        if (bytes.length < 8) {
            throw new ModelFormatException(what + " is truncated: " + bytes.length + " bytes, not even a header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong(0);
        if (headerLen <= 0 || headerLen > bytes.length - 8L) {
            throw new ModelFormatException(
                    what + " is truncated or not safetensors: header length " + headerLen + " but the file has "
                            + bytes.length + " bytes");
        }
        JsonObject header;
        try {
            JsonElement e = JsonParser.parseString(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
            header = e.getAsJsonObject();
        } catch (RuntimeException ex) {
            throw new ModelFormatException(what + " has an unreadable header (" + ex.getMessage() + ")", ex);
        }
        long dataStart = 8 + headerLen;
        long dataLen = bytes.length - dataStart;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : header.entrySet()) {
            String name = entry.getKey();
            if ("__metadata__".equals(name)) {
                continue;
            }
            try {
                JsonObject t = entry.getValue().getAsJsonObject();
                String dtype = t.get("dtype").getAsString();
                int width = width(dtype);
                if (width == 0) {
                    throw new ModelFormatException(what + ": tensor '" + name + "' has unsupported dtype " + dtype + " (F32 or I64)");
                }
                JsonArray s = t.getAsJsonArray("shape");
                long[] shape = new long[s.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = s.get(i).getAsLong();
                    if (shape[i] < 0) {
                        throw new ModelFormatException(what + ": tensor '" + name + "' has a negative dimension");
                    }
                    count *= shape[i];
                }
                JsonArray off = t.getAsJsonArray("data_offsets");
                long begin = off.get(0).getAsLong();
                long end = off.get(1).getAsLong();
                if (end > dataLen) {
                    throw new ModelFormatException(
                            what + " is truncated: tensor '" + name + "' ends at byte " + end + " of the data but only "
                                    + dataLen + " bytes are there");
                }
                if (begin < 0 || end - begin != count * width) {
                    throw new ModelFormatException(
                            what + ": tensor '" + name + "' has offsets [" + begin + ", " + end + ") that do not fit its "
                                    + dtype + " shape " + Arrays.toString(shape));
                }
                ByteBuffer slice = ByteBuffer.wrap(bytes, (int) (dataStart + begin), (int) (end - begin)).slice();
                out.put(name, new Tensor(dtype, shape, slice));
            } catch (RuntimeException ex) {
                throw new ModelFormatException(what + ": tensor '" + name + "' has a malformed header entry (" + ex.getMessage() + ")", ex);
            }
        }
        return out;
    }

    private static int width(String dtype) {
        switch (dtype) {
            case "F32":
                return 4;
            case "I64":
                return 8;
            default:
                return 0;
        }
    }

    /** Writes tensors as safetensors bytes (keys sorted, header padded with spaces to a multiple of 8). */
    public static byte[] write(Map<String, Tensor> tensors) {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        JsonObject header = new JsonObject();
        List<ByteBuffer> blobs = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            ByteBuffer data = t.data.duplicate();
            data.rewind();
            JsonObject o = new JsonObject();
            o.addProperty("dtype", t.dtype);
            JsonArray shape = new JsonArray();
            for (long d : t.shape) {
                shape.add(d);
            }
            o.add("shape", shape);
            JsonArray off = new JsonArray();
            off.add(offset);
            off.add(offset + data.remaining());
            o.add("data_offsets", off);
            header.add(e.getKey(), o);
            offset += data.remaining();
            blobs.add(data);
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (ByteBuffer b : blobs) {
            out.put(b);
        }
        return out.array();
    }
}
