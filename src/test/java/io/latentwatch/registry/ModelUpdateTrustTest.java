package io.latentwatch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.registry.ModelUpdateTrust.RefusedUpdateException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a scorer believes of a model-updates record, on real directories and links. */
class ModelUpdateTrustTest {

    private static final String SHA = "ab".repeat(32);

    @TempDir Path tmp;

    private static String update(long version, String path, String sha) {
        return new ModelUpdate(version, 1L, path, sha, true, "test", null, null, Instant.EPOCH).toJson();
    }

    @Test
    void anUpdateNamesAVersionOfTheRegistryAndNothingElse() throws Exception {
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        ModelUpdateTrust trust = new ModelUpdateTrust(registry, null);
        Path v3 = Files.createDirectories(registry.resolve("v000003"));

        assertEquals(3L, trust.parse(update(3, v3.toString(), SHA)).version());
        assertEquals(3L, trust.parse(update(3, registry + "/./v000003", SHA)).version(), "the same directory, written otherwise");
        assertEquals(v3.toRealPath(), trust.resolve(3));

        RefusedUpdateException e = assertThrows(RefusedUpdateException.class, () -> trust.parse(update(3, tmp.resolve("elsewhere").toString(), SHA)));
        assertTrue(e.getMessage().contains("is not version 3 of the registry"), e.getMessage());
        assertEquals(3L, e.version());
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse(update(3, registry + "/v000003/../../elsewhere", SHA)));
        assertTrue(e.getMessage().contains("is not version 3"), e.getMessage());
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse(update(3, registry + "/v000003\u0000", SHA)));
        assertTrue(e.getMessage().contains("is not a file system path"), e.getMessage());
        assertFalse(e.getMessage().contains("\u0000"), "a record's control characters never reach a log line");
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse(update(0, registry + "/v000000", SHA)));
        assertTrue(e.getMessage().contains("start at 1"), e.getMessage());
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse(update(3, v3.toString(), "x".repeat(5000))));
        assertTrue(e.getMessage().contains("is not 64 hex digits") && e.getMessage().length() < 300, e.getMessage());
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse("[1, 2"));
        assertTrue(e.getMessage().startsWith("model update is not a JSON object"), e.getMessage());
        e = assertThrows(RefusedUpdateException.class, () -> trust.resolve(4));
        assertTrue(e.getMessage().contains("the registry has no version 4"), e.getMessage());

        // a rejection is returned as it is (the scorer ignores it)
        ModelUpdate rejected = trust.parse(ModelUpdate.rejected(1L, "gate said no", 1, 2, Instant.EPOCH).toJson());
        assertFalse(rejected.accepted());
    }

    @Test
    void aVersionDirectoryThatLinksOutOfTheRegistryIsRefused() throws Exception {
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(registry.resolve("v000005"), outside);
        ModelUpdateTrust trust = new ModelUpdateTrust(registry, null);
        assertEquals(5L, trust.parse(update(5, registry.resolve("v000005").toString(), SHA)).version(), "the record itself is fine");
        RefusedUpdateException e = assertThrows(RefusedUpdateException.class, () -> trust.resolve(5));
        assertTrue(e.getMessage().contains("leads out of the registry"), e.getMessage());

        // a registry that is itself reached through a link is fine: its versions are inside it
        Path link = tmp.resolve("registry-link");
        Files.createSymbolicLink(link, registry);
        Files.createDirectories(registry.resolve("v000006"));
        assertEquals(registry.resolve("v000006").toRealPath(), new ModelUpdateTrust(link, null).resolve(6));
    }

    @Test
    void withAKeyOnlyRecordsSignedWithItPass() throws Exception {
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        ModelUpdateSignature key = ModelUpdateSignature.fromKeyFile(Files.writeString(tmp.resolve("key"), "  secret-1\n"));
        ModelUpdateSignature other = ModelUpdateSignature.fromKeyFile(Files.writeString(tmp.resolve("other"), "secret-2"));
        ModelUpdateTrust trust = new ModelUpdateTrust(registry, key);
        ModelUpdate u = ModelUpdate.fromJson(update(2, registry.resolve("v000002").toString(), SHA));

        assertEquals(u, trust.parse(key.sign(u)));
        assertTrue(key.sign(u).contains("\"signature\":\"hmac-sha256:"), key.sign(u));
        RefusedUpdateException e = assertThrows(RefusedUpdateException.class, () -> trust.parse(u.toJson()));
        assertTrue(e.getMessage().startsWith("unsigned"), e.getMessage());
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse(other.sign(u)));
        assertTrue(e.getMessage().startsWith("signature does not match"), e.getMessage());
        String changed = key.sign(u).replace("\"version\":2", "\"version\":3").replace("v000002", "v000003");
        e = assertThrows(RefusedUpdateException.class, () -> trust.parse(changed));
        assertTrue(e.getMessage().startsWith("signature does not match"), e.getMessage());
        assertFalse(key.toString().contains("secret-1"), "the key is never printed: " + key);

        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> ModelUpdateSignature.fromKeyFile(Files.writeString(tmp.resolve("empty"), " \n")));
        assertTrue(empty.getMessage().endsWith("is empty"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelUpdateSignature.fromKeyFile(tmp.resolve("missing")));
    }
}
