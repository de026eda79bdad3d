package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.latentwatch.Fixtures;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.PyTorchImport;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.tuning.GateDecision;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** latentwatch models list|pin|unpin|rollback against a registry of three versions. */
class ModelsCommandTest {

    @TempDir Path tmp;
    private Path registry;

    @BeforeEach
    void threeVersions() throws Exception {
        Path initial = tmp.resolve("initial");
        PyTorchImport.importModel(Fixtures.dir("gray32-small").resolve("weights.safetensors"),
                Fixtures.dir("gray32-small").resolve("config.json"), initial);
        registry = tmp.resolve("registry");
        ModelRegistry r = ModelRegistry.builder().setRoot(registry).build();
        r.adopt(initial);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            DipVae network = ModelDirectory.read(initial, manager).model;
            for (int i = 0; i < 2; i++) {
                JsonObject c = new JsonObject();
                c.addProperty("score", "mse");
                c.addProperty("threshold", 0.04 + i / 100.0);
                GateDecision ok = new GateDecision(true, "test", 0.03, 0.02, 0.03, 0.03, 60, 20, 0.04 + i / 100.0, c);
                ModelUpdate u = ok.apply(r, network, r.serving().orElseThrow().metadata(), null);
                assertTrue(u.accepted(), u.reason());
            }
        }
    }

    private CliTest.Run models(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "models";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliTest.run(all);
    }

    @Test
    void listShowsEveryVersionAndWhichIsServed() {
        CliTest.Run r = models("list", "--registry", registry.toString());
        assertEquals(0, r.code, r.err);
        String[] lines = r.out.split("\n");
        assertEquals(4, lines.length, r.out);
        assertTrue(lines[0].startsWith("VERSION  PARENT  CREATED"), lines[0]);
        assertTrue(lines[1].matches("1 +- .* available"), lines[1]);
        assertTrue(lines[2].matches("2 +1 .* 0\\.0400000 .* available"), lines[2]);
        assertTrue(lines[3].matches("3 +2 .* 0\\.0500000 +[0-9a-f]{12} serving"), lines[3]);
    }

    @Test
    void pinUnpinAndRollbackPrintTheUpdateAndPersist() {
        CliTest.Run pin = models("pin", "--registry", registry.toString(), "2");
        assertEquals(0, pin.code, pin.err);
        String[] lines = pin.out.split("\n");
        assertEquals("pinned by an operator: version 2 is served until unpinned", lines[0]);
        ModelUpdate update = ModelUpdate.fromJson(lines[1]);
        assertEquals(2L, update.version());
        assertTrue(models("list", "--registry", registry.toString()).out.contains("serving (pinned)"));

        CliTest.Run refused = models("rollback", "--registry", registry.toString(), "1");
        assertEquals(1, refused.code);
        assertEquals("latentwatch models rollback: registry " + registry.toAbsolutePath() + " is pinned to version 2; unpin it first "
                + "(or pin the version to serve)\n", refused.err);

        assertEquals(0, models("unpin", "--registry", registry.toString()).code);
        CliTest.Run again = models("unpin", "--registry", registry.toString());
        assertEquals(1, again.code);
        assertEquals("latentwatch models unpin: registry " + registry.toAbsolutePath() + " is not pinned\n", again.err);

        CliTest.Run rollback = models("rollback", "--registry", registry.toString(), "1");
        assertEquals(0, rollback.code, rollback.err);
        assertTrue(rollback.out.startsWith("rolled back by an operator to version 1 (withdrew 2, 3)\n"), rollback.out);
        String list = models("list", "--registry", registry.toString()).out;
        assertTrue(list.contains(" serving\n") && list.split("retired").length == 3, list);
    }

    @Test
    void aCorruptedVersionCannotBePinned() throws Exception {
        Path weights = registry.resolve("v000002").resolve(ModelDirectory.WEIGHTS);
        byte[] b = Files.readAllBytes(weights);
        b[b.length - 1] ^= 0x40;
        Files.write(weights, b);
        CliTest.Run r = models("pin", "--registry", registry.toString(), "2");
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("latentwatch models pin: model ") && r.err.contains("sha256 of weights.safetensors is ")
                && r.err.endsWith("(file changed or corrupted)\n") && r.err.split("\n").length == 1, r.err);
        assertTrue(models("list", "--registry", registry.toString()).out.contains("refused: model "));
    }

    @Test
    void badArgumentsGetOneLineAndExitCode2() {
        CliTest.Run notNumber = models("pin", "--registry", registry.toString(), "two");
        assertEquals(2, notNumber.code);
        assertEquals(1, notNumber.err.split("\n").length, notNumber.err);
        assertTrue(notNumber.err.startsWith("latentwatch models pin: Invalid value for positional parameter at index 0 (VERSION): 'two'"),
                notNumber.err);
        CliTest.Run zero = models("rollback", "--registry", registry.toString(), "0");
        assertEquals(2, zero.code);
        assertEquals("latentwatch models rollback: VERSION must be a positive integer, got 0 (see --help)\n", zero.err);
        CliTest.Run noRegistry = models("list", "--registry", tmp.resolve("nowhere").toString());
        assertEquals(2, noRegistry.code);
        assertEquals("latentwatch models list: no model registry at " + tmp.resolve("nowhere") + " (not a directory) (see --help)\n",
                noRegistry.err);
        assertEquals(2, models("pin", "--registry", registry.toString()).code, "VERSION is required");
        assertEquals(2, models("list").code, "--registry is required");
        CliTest.Run unknown = models("pin", "--registry", registry.toString(), "9");
        assertEquals(1, unknown.code, "a well-formed version the registry does not hold is refused, not an argument error");
        assertEquals("latentwatch models pin: registry " + registry.toAbsolutePath() + " has no version 9\n", unknown.err);
        assertEquals(2, models().code, "a subcommand is required");
    }
}
