package io.latentwatch.registry;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 over a {@code model-updates} record's fields, so that scorers can tell the job's own decisions from
 * records anyone with write access to the topic could send. The signed text is the record's canonical JSON
 * ({@link ModelUpdate#toJson()} of the parsed record: exactly {@link ModelUpdate#FIELDS}, in order), and the signature
 * travels as one more field, {@value #FIELD}: {@code "hmac-sha256:<hex>"}.
 *
 * <p>The key is the content of a secret file (surrounding whitespace trimmed); it is held here only and never
 * printed: {@link #toString()} names the file, not the key.
 */
public final class ModelUpdateSignature {

    /** The field that carries the signature. */
    public static final String FIELD = "signature";
    private static final String SCHEME = "hmac-sha256:";
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final String source;

    private ModelUpdateSignature(byte[] key, String source) {
        this.key = new SecretKeySpec(key, ALGORITHM);
        this.source = source;
    }

    /**
     * The key in a secret file.
     *
     * @throws IllegalArgumentException if the file is missing or holds no key
     * @throws IOException if it cannot be read
     */
    public static ModelUpdateSignature fromKeyFile(Path file) throws IOException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model-updates signing key file " + file + " does not exist");
        }
        String text = new String(content, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("model-updates signing key file " + file + " is empty");
        }
        return new ModelUpdateSignature(text.getBytes(StandardCharsets.UTF_8), file.toString());
    }

    /** The record with its signature field (any old one replaced). */
    public String sign(ModelUpdate update) {
        JsonObject o = JsonParser.parseString(update.toJson()).getAsJsonObject();
        o.add(FIELD, new JsonPrimitive(SCHEME + mac(update.toJson())));
        return o.toString();
    }

    /**
     * Checks a record's signature against its fields.
     *
     * @param json the record as read
     * @param update the same record parsed ({@link ModelUpdate#fromJson})
     * @throws IllegalArgumentException if it is unsigned or its signature does not match
     */
    public void verify(String json, ModelUpdate update) {
        JsonElement given = JsonParser.parseString(json).getAsJsonObject().get(FIELD);
        if (given == null || given.isJsonNull()) {
            throw new IllegalArgumentException("unsigned (a signing key is configured, so every update must carry \"" + FIELD + "\")");
        }
        String text = given.isJsonPrimitive() ? given.getAsString() : "";
        byte[] expected = (SCHEME + mac(update.toJson())).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, text.getBytes(StandardCharsets.UTF_8))) {
            throw new IllegalArgumentException("signature does not match the update's fields (another key, or a changed record)");
        }
    }

    private String mac(String canonical) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    @Override
    public String toString() {
        return "ModelUpdateSignature[key from " + source + "]";
    }
}
