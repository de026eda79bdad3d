package io.latentwatch.model;

import static io.latentwatch.Fixtures.FORWARD_TOLERANCE;
import static io.latentwatch.Fixtures.GRADIENT_TOLERANCE;
import static io.latentwatch.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DIP-VAE against PyTorch: eval and train forward, every loss term, and (gray32-small) every gradient. */
class DipVaeFixtureTest {

    static DipVae loadFixtureModel(NDManager manager, String fixture) throws Exception {
        Path dir = Fixtures.dir(fixture);
        DipVaeConfig config = DipVaeConfig.fromJson(Files.readString(dir.resolve("config.json")));
        DipVae model = new DipVae(config).initialize(manager);
        Map<String, SafeTensors.Tensor> weights =
                SafeTensors.read(Files.readAllBytes(dir.resolve("weights.safetensors")), "weights.safetensors");
        DipVaeWeights.load(model, weights, "weights.safetensors");
        return model;
    }

    /** A bias of a convolution whose output goes straight into a BatchNorm ("encoder.1.0.bias" → "encoder.1.1"). */
    private static boolean feedsTrainingBatchNorm(DipVae model, String name) {
        if (!name.endsWith(".0.bias")) {
            return false;
        }
        String layer = name.substring(0, name.length() - ".0.bias".length()) + ".1";
        return model.batchNorms().containsKey(layer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb64-default", "gray32-small"})
    void evalModeMatchesPyTorch(String fixture) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            DipVae model = loadFixtureModel(manager, fixture);
            NDList frames = Fixtures.load(manager, fixture, "frames.safetensors");
            NDList expected = Fixtures.load(manager, fixture, "expected.safetensors");
            NDArray x = frames.get("x");
            NDList out = model.forward(new ParameterStore(manager, false), new NDList(x), false);
            assertClose(out.get(1), expected.get("eval_mu"), FORWARD_TOLERANCE, "eval mu");
            assertClose(out.get(2), expected.get("eval_log_var"), FORWARD_TOLERANCE, "eval log_var");
            assertClose(out.get(0), expected.get("eval_recon"), FORWARD_TOLERANCE, "eval recon");
            NDArray mse = out.get(0).sub(x).square().reshape(x.getShape().get(0), -1).mean(new int[] {1});
            assertClose(mse, expected.get("eval_mse"), FORWARD_TOLERANCE, "eval mse");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb64-default", "gray32-small"})
    void trainModeAndLossTermsMatchPyTorch(String fixture) throws Exception {
        JsonObject json = JsonParser.parseString(Files.readString(Fixtures.dir(fixture).resolve("expected.json"))).getAsJsonObject();
        try (NDManager manager = NDManager.newBaseManager()) {
            DipVae model = loadFixtureModel(manager, fixture);
            NDList frames = Fixtures.load(manager, fixture, "frames.safetensors");
            NDList expected = Fixtures.load(manager, fixture, "expected.safetensors");
            NDArray x = frames.get("x");
            Map<String, Parameter> params = model.stateDict();
            params.values().forEach(p -> p.getArray().setRequiresGradient(p.requiresGradient()));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = model.forward(new ParameterStore(manager, false), new NDList(x, frames.get("eps")), true);
                NDArray recon = out.get(0);
                NDArray mu = out.get(1);
                NDArray logVar = out.get(2);
                assertClose(mu, expected.get("train_mu"), FORWARD_TOLERANCE, "train mu");
                assertClose(logVar, expected.get("train_log_var"), FORWARD_TOLERANCE, "train log_var");
                assertClose(out.get(3), expected.get("train_z"), FORWARD_TOLERANCE, "train z");
                assertClose(recon, expected.get("train_recon"), FORWARD_TOLERANCE, "train recon");

                DipLoss loss = DipLoss.of(model.getConfig());
                DipLoss.Terms terms = null;
                for (DipType type : new DipType[] {DipType.I, DipType.II}) { // II last: its total is differentiated
                    terms = loss.withType(type).compute(recon, x, mu, logVar);
                    JsonObject e = json.getAsJsonObject("loss_dip_" + type.jsonName());
                    String t = " (DIP-" + type + ")";
                    assertClose(terms.recons.getFloat(), e.get("recons").getAsDouble(), FORWARD_TOLERANCE, "recons" + t);
                    assertClose(terms.kld.getFloat(), e.get("kld").getAsDouble(), FORWARD_TOLERANCE, "kld" + t);
                    assertClose(terms.offDiagonalSquaredSum.getFloat(), e.get("offdiag_sq_sum").getAsDouble(), FORWARD_TOLERANCE, "offdiag" + t);
                    assertClose(terms.diagonalDeviationSquaredSum.getFloat(), e.get("diag_dev_sq_sum").getAsDouble(), FORWARD_TOLERANCE, "diag" + t);
                    assertClose(terms.total.getFloat(), e.get("total").getAsDouble(), FORWARD_TOLERANCE, "total" + t);
                }
                gc.backward(terms.total); // the fixture's gradients are of loss_dip_ii.total
            }
            boolean hasGradients = expected.contains("grad.fc_mu.weight");
            assertEquals("gray32-small".equals(fixture), hasGradients, "which fixture carries gradients");
            if (hasGradients) {
                int checked = 0;
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    if (!e.getValue().requiresGradient()) {
                        assertFalse(expected.contains("grad." + e.getKey()), e.getKey() + " is a buffer in PyTorch");
                        continue;
                    }
                    NDArray actual = e.getValue().getArray().getGradient();
                    NDArray want = expected.get("grad." + e.getKey());
                    if (feedsTrainingBatchNorm(model, e.getKey())) {
                        // Exactly zero in exact arithmetic (BatchNorm subtracts the batch mean), so both engines
                        // return rounding noise: compare on the scale of the same layer's weight gradient.
                        String weight = e.getKey().replace(".bias", ".weight");
                        double scale = expected.get("grad." + weight).norm().getFloat();
                        double diff = actual.sub(want).norm().getFloat();
                        assertTrue(diff <= GRADIENT_TOLERANCE * scale, "grad " + e.getKey() + ": " + diff + " vs scale " + scale);
                    } else {
                        assertClose(actual, want, GRADIENT_TOLERANCE, "grad " + e.getKey());
                    }
                    checked++;
                }
                long fixtureGrads = expected.stream().filter(a -> a.getName().startsWith("grad.")).count();
                assertEquals(fixtureGrads, checked, "every parameter's gradient is compared");
            }
        }
    }
}
