package io.latentwatch.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Kubernetes object into fabric8's kubernetes-model classes and reports every field the model does not
 * know. fabric8 keeps unknown fields in each object's additionalProperties instead of failing, so after reading,
 * every model object reached from the root is asked for its additionalProperties; any entry is an unknown field.
 */
final class Fabric8Strict {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private Fabric8Strict() {}

    /** Errors found reading {@code object} as {@code type}: wrong types, unknown fields, each with its path. */
    static List<String> check(Map<String, Object> object, Class<?> type) {
        List<String> errors = new ArrayList<>();
        Object model;
        try {
            model = MAPPER.convertValue(object, type);
        } catch (IllegalArgumentException e) {
            errors.add(firstLine(e.getMessage()));
            return errors;
        }
        walk(model, "", errors, new IdentityHashMap<>());
        return errors;
    }

    private static void walk(Object node, String path, List<String> errors, IdentityHashMap<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection) {
            int i = 0;
            for (Object item : (Collection<?>) node) {
                walk(item, path + "[" + i++ + "]", errors, seen);
            }
            return;
        }
        if (node instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) node).entrySet()) {
                walk(e.getValue(), path + "." + e.getKey(), errors, seen);
            }
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : node.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(node);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map) {
                    for (Object unknown : ((Map<?, ?>) value).keySet()) {
                        errors.add("unknown field " + (path.isEmpty() ? "" : path.substring(1) + ".") + unknown);
                    }
                }
                continue;
            }
            String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            walk(value, path + "." + name, errors, seen);
        }
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }
}
