// op_shared_library: a system library opened with dlopen on first use and its
// functions resolved into a table (see outpost_system.h). libcrypto and libsqlite3
// go through it: each is needed by one feature only, and linking them would load,
// relocate and initialise them in every process.
#include "outpost_system.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static void load(op_shared_library *lib) {
    const char *name = getenv(lib->env_var);
    if (!name || !*name) name = lib->default_name;
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(lib->error, sizeof lib->error, "cannot load the %s library %s (needed for %s): %s", lib->title, name,
                 lib->needed_for, why ? why : "unknown error");
        __atomic_store_n(&lib->state, -1, __ATOMIC_RELEASE);
        return;
    }
    for (size_t i = 0; i < lib->count; i++) {
        if (!(lib->slots[i] = dlsym(h, lib->symbols[i]))) {
            snprintf(lib->error, sizeof lib->error, "the %s library %s has no function %s", lib->title, name,
                     lib->symbols[i]);
            __atomic_store_n(&lib->state, -1, __ATOMIC_RELEASE);
            return;
        }
    }
    __atomic_store_n(&lib->state, 1, __ATOMIC_RELEASE);
}

int op_shared_library_load(op_shared_library *lib) {
    int state = __atomic_load_n(&lib->state, __ATOMIC_ACQUIRE);  // the common case: decided already
    if (state == 0) {
        pthread_mutex_lock(&load_lock);
        if (__atomic_load_n(&lib->state, __ATOMIC_ACQUIRE) == 0) load(lib);
        pthread_mutex_unlock(&load_lock);
        state = __atomic_load_n(&lib->state, __ATOMIC_ACQUIRE);
    }
    return state == 1 ? 0 : -1;
}

const char *op_shared_library_error(op_shared_library *lib) {
    return op_shared_library_load(lib) == 0 ? "" : lib->error;
}
